//! Pure computation for **stratmap**: the statistical grid, the living-conditions
//! index, youth groups, exact disc– and cell–polygon overlap, the daily
//! footprint, Getis-Ord Gi* hot spots, indicators by area category,
//! problem levels with trends, candidate areas, the index's concordance with
//! assessed areas, and local Moran's I. This crate reads and writes no files; the
//! `stratmap-io` crate turns files into the typed tables used here and writes the
//! results back out.
//!
//! ```
//! use stratmap_core::grid::{CellId, GridSpec};
//!
//! // A Statistics Sweden id: 6-digit easting, 7-digit northing (EPSG:3006).
//! let id: CellId = "3940006133000".parse().unwrap();
//! assert_eq!((id.x, id.y), (394_000, 6_133_000));
//! assert!(GridSpec::scb(250).is_aligned(id.x, id.y));
//! ```

#![deny(missing_docs)]

pub mod assess;
pub mod candidates;
pub mod concordance;
pub mod editions;
pub mod emerging;
pub mod footprint;
pub mod geom;
pub mod grid;
pub mod hotspot;
pub mod index;
pub mod indicators;
pub mod lisa;
pub mod neighbours;
pub mod notice;
pub mod period;
pub mod stats;
pub mod trend;
pub mod youth;

// The types most programs need, at the crate's root.
pub use candidates::{candidate_areas, Candidate, CandidateParams, Contiguity};
pub use footprint::{
    At, FootprintAreas, FootprintEngine, FootprintMethod, FootprintReport, FootprintTotals, Record,
};
pub use grid::{CellId, Epsg, GridSpec};
pub use hotspot::{GiStar, HotspotMethod};
pub use index::{GridCell, IndexParams, LivingConditionsIndex, Variable};
pub use lisa::{local_moran_grid, Lisa, LisaMethod, Quadrant};
pub use notice::{Level, Notice};
