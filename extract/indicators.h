/* indicators.h - the indicator post-pass (issue 7).
 *
 * Runs after the rules (vnx_rules_match) and the segmenter (vnx_segment):
 *   - indicator tables (a table with a "Chỉ tiêu" name column and/or a
 *     "Đơn vị tính" unit column, e.g. PHỤ LỤC II of the Q1 2026 report):
 *     one indicator record per value cell, with metric = the row's indicator
 *     name, unit = the row's unit cell (or a unit in the column header such
 *     as "(%)"), period = the column header, and the number style (en/vi)
 *     decided per column from the evidence of all its cells (num_style);
 *     rule-made indicators inside those cells are replaced;
 *   - prose indicators: metric = the nearest metric named before the figure
 *     in its clause (records of kind "metric" from rule indicator.metric,
 *     rules/metrics.tsv), status = target | actual from the nearest cue word
 *     before it in the sentence;
 *   - the "metric" mention records are then removed (they are not an output
 *     kind), except in rule examples (path "<...>"), where `rules test`
 *     needs to see them.
 */
#ifndef VNX_INDICATORS_H
#define VNX_INDICATORS_H

#include "vnx.h"

void vnx_indicators_resolve(vnx_doc *d);

#endif
