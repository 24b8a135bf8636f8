//! Pure computation for **stratmap**: the statistical grid, the living-conditions
//! index, youth groups, exact disc– and cell–polygon overlap, the daily
//! footprint, Getis-Ord Gi* hot spots, indicators by area category,
//! problem levels with trends, candidate areas, the index's concordance with
//! assessed areas, and local Moran's I. This crate reads and writes no files; the
//! `stratmap-io` crate turns files into the typed tables used here and writes the
//! results back out.
//!
//! ```
//! use stratmap_core::{CellId, GridSpec};
//!
//! // A Statistics Sweden id: 6-digit easting, 7-digit northing (EPSG:3006).
//! let id: CellId = "3940006133000".parse().unwrap();
//! assert_eq!((id.x, id.y), (394_000, 6_133_000));
//! assert!(GridSpec::scb(250).is_aligned(id.x, id.y));
//! ```

#![deny(missing_docs, unnameable_types)]

mod assess;
pub use assess::{assess, Answer, Assessment, Domain, LevelTrend};
mod candidates;
pub use candidates::{
    area_overlaps, candidate_areas, AreaOverlap, Candidate, CandidateCell, CandidateError,
    CandidateParams, Contiguity, NEW_BELOW_PCT,
};
mod concordance;
pub use concordance::{auc, concordance, ConcordanceCell, ConcordanceRow};
mod editions;
pub use editions::{
    match_editions, transitions, CellChange, ChangeStatus, EditionCell, Transition,
};
mod emerging;
pub use emerging::{
    classify, emerging_hot_spots, EmergingCell, EmergingMethod, Pattern, SpaceTime,
};
mod footprint;
pub use footprint::{
    category_numbers, check_radius, disclosed, AreaFootprint, At, CategoryFootprint,
    DailyFootprint, DiscWeights, FootprintAreas, FootprintEngine, FootprintMethod, FootprintReport,
    FootprintTotals, KeyMap, Prepared, RadiusError, Record, TableCell, CATEGORY_ORDER, DISC_ONE,
    PHONE_SHARES, RADIUS_RANGE,
};
mod geom;
pub use geom::{
    cells_outline, disc_overlap, disc_polygon_overlap, overlapping_pairs, rect_overlap,
    PolygonIndex,
};
mod grid;
pub use grid::{CellId, Epsg, GridSpec, IdError, IdStyle};
mod hotspot;
pub use hotspot::{gi_bins, gi_star, gi_star_grid, two_sided_p, BandError, GiStar, HotspotMethod};
mod index;
pub use index::{
    class_breaks, class_color, class_of, CellIndex, ClassMethod, GridCell, Group, IndexParams,
    IndexParamsError, LivingConditionsIndex, Status, Unit, Variable, PALETTE,
};
mod indicators;
pub use indicators::{
    areas_of_events, indicators, indicators_by_period, IndicatorInput, IndicatorRow, PeriodRow,
};
mod lisa;
pub use lisa::{
    local_moran_grid, Lisa, LisaError, LisaMethod, LocalMoran, Quadrant, MAX_PERMUTATIONS,
};
mod neighbours;
pub use neighbours::{band_sums, CellLookup};
mod notice;
pub use notice::{Level, Notice};
mod period;
pub use period::{span, By, Day};
mod stats;
pub use stats::{bh_threshold, mean_sd_population, percentile_linear};
mod trend;
pub use trend::{mann_kendall, MannKendall, Trend};
mod youth;
pub use youth::{youth_groups, YouthCell, YouthGroup, YouthParams};
