//! `stratmap serve DIR`: a small HTTP/1.1 server on the loopback interface
//! only, for the viewer of a run folder and the vector tiles beside it.
//!
//! - `/` and `/index.html`: the folder's `index.html`;
//! - `/tiles.json`: the tiled layers, `{"layer": {"minzoom", "maxzoom",
//!   "bounds": [w, s, e, n]}}`, from the `<layer>.mbtiles` files there (the
//!   viewer asks for it when opened over http, never from `file://`);
//! - `/tiles/<layer>/<z>/<x>/<y>.pbf`: one Mapbox vector tile (XYZ; the
//!   MBTiles rows are TMS, so `y` is flipped), `Content-Encoding: gzip`
//!   when stored gzipped (GDAL's are); a tile the file does not hold is an
//!   empty `204`, as a browser asks for tiles around the data too.
//!
//! Anything else is a 404; only GET and HEAD. One thread per connection,
//! each closed after its answer. The files are read when asked, so a run
//! into the same folder is seen on the next request.

use crate::pipeline::{Failure, Notes};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;
use stratmap_io::Error;

/// What `stratmap serve` is given.
pub struct ServeArgs<'a> {
    /// The run folder (with `index.html` and `.mbtiles` files).
    pub dir: &'a Path,
    /// The address to listen on: a loopback address only.
    pub host: IpAddr,
    /// The port (0: any free one).
    pub port: u16,
}

/// Binds the loopback address (refusing any other) and serves `dir` until
/// the process is stopped (Ctrl-C). Says the URL first, as
/// `serving DIR at http://127.0.0.1:PORT/`.
pub fn serve(args: &ServeArgs, notes: &Notes) -> Result<(), Failure> {
    let listener = bind(args)?;
    let addr = listener.local_addr().map_err(|e| Error::io(args.dir, e))?;
    say!(
        notes,
        "serving {} at http://{addr}/ (Ctrl-C stops it)",
        args.dir.display()
    );
    let dir = args.dir.to_path_buf();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &dir);
        });
    }
    Ok(())
}

/// The listener on `host:port`, after checking that `host` is a loopback
/// address and `dir` a folder.
pub fn bind(args: &ServeArgs) -> Result<TcpListener, Failure> {
    if !args.host.is_loopback() {
        return Err(Failure::Usage(format!(
            "--host {}: stratmap serve listens on this machine only; expected a loopback address (127.0.0.1 or ::1)",
            args.host
        )));
    }
    if !args.dir.is_dir() {
        return Err(Failure::Usage(format!(
            "{}: expected the folder of a run (with index.html and .mbtiles files)",
            args.dir.display()
        )));
    }
    TcpListener::bind(SocketAddr::new(args.host, args.port)).map_err(|e| {
        Failure::Io(Error::io(
            Path::new(&format!("{}:{}", args.host, args.port)),
            e,
        ))
    })
}

/// One answer: status, content type, extra headers, body.
struct Reply {
    status: &'static str,
    kind: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: &'static str, body: &str) -> Reply {
        Reply {
            status,
            kind: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// Reads one request from `stream` and answers it.
fn answer(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    // the request line, bounded; then the headers, skipped
    reader.by_ref().take(8192).read_line(&mut line)?;
    loop {
        let mut header = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut header)?;
        if n == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let reply = if method != "GET" && method != "HEAD" {
        Reply::text("405 Method Not Allowed", "only GET and HEAD\n")
    } else {
        route(target.split(['?', '#']).next().unwrap_or(""), dir)
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        reply.status,
        reply.kind,
        reply.body.len()
    )?;
    for (k, v) in &reply.headers {
        write!(out, "{k}: {v}\r\n")?;
    }
    out.write_all(b"\r\n")?;
    if method != "HEAD" {
        out.write_all(&reply.body)?;
    }
    out.flush()
}

/// The answer to a GET of `path`.
fn route(path: &str, dir: &Path) -> Reply {
    let failed = |e: String| Reply::text("500 Internal Server Error", &format!("{e}\n"));
    match path {
        "/" | "/index.html" => match std::fs::read(dir.join("index.html")) {
            Ok(body) => Reply {
                status: "200 OK",
                kind: "text/html; charset=utf-8",
                headers: Vec::new(),
                body,
            },
            Err(_) => Reply::text("404 Not Found", "no index.html in this folder\n"),
        },
        "/tiles.json" => match tiles_json(dir) {
            Ok(body) => Reply {
                status: "200 OK",
                kind: "application/json",
                headers: Vec::new(),
                body,
            },
            Err(e) => failed(e),
        },
        _ => match parse_tile(path) {
            Some((layer, z, x, y)) => match mbtiles(dir, layer) {
                None => Reply::text("404 Not Found", "no such tiled layer\n"),
                Some(file) => match read_tile(&file, z, x, y) {
                    Ok(Some(body)) => Reply {
                        status: "200 OK",
                        kind: "application/vnd.mapbox-vector-tile",
                        headers: if body.starts_with(&[0x1f, 0x8b]) {
                            vec![("Content-Encoding", "gzip")]
                        } else {
                            Vec::new()
                        },
                        body,
                    },
                    Ok(None) => Reply {
                        status: "204 No Content",
                        kind: "application/vnd.mapbox-vector-tile",
                        headers: Vec::new(),
                        body: Vec::new(),
                    },
                    Err(e) => failed(e),
                },
            },
            None => Reply::text("404 Not Found", "not found\n"),
        },
    }
}

/// `/tiles/<layer>/<z>/<x>/<y>.pbf` → its parts; the layer a plain name.
fn parse_tile(path: &str) -> Option<(&str, u8, u32, u32)> {
    let rest = path.strip_prefix("/tiles/")?.strip_suffix(".pbf")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let [layer, z, x, y] = parts[..] else {
        return None;
    };
    let plain = !layer.is_empty()
        && layer
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let z: u8 = z.parse().ok().filter(|z| *z <= 24)?;
    let (x, y): (u32, u32) = (x.parse().ok()?, y.parse().ok()?);
    (plain && x < (1 << z) && y < (1 << z)).then_some((layer, z, x, y))
}

/// The MBTiles file of `layer` in `dir`, if there is one.
fn mbtiles(dir: &Path, layer: &str) -> Option<PathBuf> {
    let file = dir.join(format!("{layer}.mbtiles"));
    file.is_file().then_some(file)
}

fn open(file: &Path) -> Result<Connection, String> {
    Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{}: {e}", file.display()))
}

/// The tile at XYZ `z/x/y` of an MBTiles file (whose rows count from the
/// south: TMS), if it holds one.
fn read_tile(file: &Path, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, String> {
    let row = (1u32 << z) - 1 - y;
    open(file)?
        .query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            (z, x, row),
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// The tiled layers of `dir` with their zoom levels and bounds, from each
/// MBTiles file's metadata, as JSON.
fn tiles_json(dir: &Path) -> Result<Vec<u8>, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".mbtiles")
                .map(str::to_string)
        })
        .filter(|n| parse_tile(&format!("/tiles/{n}/0/0/0.pbf")).is_some())
        .collect();
    names.sort();
    let mut layers = serde_json::Map::new();
    for name in names {
        let file = dir.join(format!("{name}.mbtiles"));
        let db = open(&file)?;
        let meta = |key: &str| -> Option<String> {
            db.query_row("SELECT value FROM metadata WHERE name = ?1", [key], |r| {
                r.get(0)
            })
            .ok()
        };
        let zoom = |key: &str| meta(key).and_then(|v| v.trim().parse::<u8>().ok());
        let bounds: Option<Vec<f64>> = meta("bounds").and_then(|b| {
            let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            (v.len() == 4).then_some(v)
        });
        layers.insert(
            name,
            serde_json::json!({
                "minzoom": zoom("minzoom"),
                "maxzoom": zoom("maxzoom"),
                "bounds": bounds,
            }),
        );
    }
    Ok(serde_json::Value::Object(layers).to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_are_parsed_and_nothing_else() {
        assert_eq!(
            parse_tile("/tiles/living_conditions/14/8850/4790.pbf"),
            Some(("living_conditions", 14, 8850, 4790))
        );
        for bad in [
            "/tiles/../x/1/0/0.pbf",
            "/tiles/a/1/2/0.pbf",
            "/tiles/a/25/0/0.pbf",
            "/tiles/a/1/0.pbf",
            "/tiles/a.b/1/0/0.pbf",
            "/tiles//1/0/0.pbf",
            "/tiles/a/1/0/0.png",
        ] {
            assert_eq!(parse_tile(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_loopback_is_bound() {
        let dir = tempfile::tempdir().unwrap();
        let args = |host: &str| ServeArgs {
            dir: dir.path(),
            host: host.parse().unwrap(),
            port: 0,
        };
        for host in ["0.0.0.0", "192.168.1.2", "::"] {
            assert!(
                matches!(bind(&args(host)), Err(Failure::Usage(_))),
                "{host}"
            );
        }
        assert!(bind(&args("127.0.0.1")).is_ok());
    }

    #[test]
    fn a_tile_is_served_flipped_and_gzip_labelled() {
        let dir = tempfile::tempdir().unwrap();
        let db = Connection::open(dir.path().join("x.mbtiles")).unwrap();
        db.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             INSERT INTO metadata VALUES ('minzoom', '8'), ('maxzoom', '14'), ('bounds', '1,2,3,4');
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             INSERT INTO tiles VALUES (1, 0, 1, x'1f8b00');",
        )
        .unwrap();
        drop(db);
        let r = route("/tiles/x/1/0/0.pbf", dir.path());
        assert_eq!(r.status, "200 OK");
        assert_eq!(r.body, [0x1f, 0x8b, 0]);
        assert_eq!(r.headers, [("Content-Encoding", "gzip")]);
        assert_eq!(
            route("/tiles/x/1/0/1.pbf", dir.path()).status,
            "204 No Content"
        );
        assert_eq!(
            route("/tiles/y/1/0/0.pbf", dir.path()).status,
            "404 Not Found"
        );
        assert_eq!(route("/x.mbtiles", dir.path()).status, "404 Not Found");
        let json: serde_json::Value =
            serde_json::from_slice(&route("/tiles.json", dir.path()).body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"x": {"minzoom": 8, "maxzoom": 14, "bounds": [1.0, 2.0, 3.0, 4.0]}})
        );
    }
}
