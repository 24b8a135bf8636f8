//! Text inputs in another encoding than UTF-8, as older Windows programs
//! save them: declared with `encoding = "windows-1252"` (or `latin-1`,
//! `iso-8859-1`, any WHATWG label) in the config's `[inputs]`, and decoded
//! to UTF-8 by `encoding_rs` before they are read.

use crate::Problem;

/// The text of `data` as UTF-8: unchanged when `label` is `None` or names
/// UTF-8, else decoded from the encoding it names. An unknown label is a
/// problem naming the setting.
///
/// ```
/// use stratmap_io::decode_text;
/// let latin = b"omr\xe5de;befolkning\n".to_vec();
/// let text = decode_text("f.csv", latin, Some("windows-1252")).unwrap();
/// assert_eq!(text, "område;befolkning\n".as_bytes());
/// assert!(decode_text("f.csv", vec![], Some("klingon")).is_err());
/// ```
pub fn decode_text(file: &str, data: Vec<u8>, label: Option<&str>) -> Result<Vec<u8>, Problem> {
    let Some(label) = label else {
        return Ok(data);
    };
    let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        Problem::file(
            file,
            format!("[inputs] encoding = {label:?}: expected an encoding such as \"utf-8\" or \"windows-1252\""),
        )
    })?;
    if enc == encoding_rs::UTF_8 {
        return Ok(data);
    }
    let (text, _) = enc.decode_without_bom_handling(&data);
    Ok(text.into_owned().into_bytes())
}

/// Whether a label names an encoding `decode` knows.
pub fn is_known(label: &str) -> bool {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_some()
}
