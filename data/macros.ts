/**
 * SQL macros and views for attention analysis. They are (re)created each time
 * a store opens, so improving them needs no migration.
 *
 * All natural-log based; `eps` (1e-8) sits inside the logs as in the
 * stability metric of the ASMIL paper.
 *
 * - `js_divergence(p, q)`: Jensen–Shannon divergence of two distributions of
 *   equal length (NULL when lengths differ).
 * - `attention_entropy(p)`: Shannon entropy −Σ p log(p + eps).
 * - `effective_patches(p)`: exp(entropy).
 * - `uniform_like(p)`: the uniform distribution of `p`'s length.
 * - `topk_indices(p, k)`: 1-based indices of the k largest entries (ties go
 *   to the later index).
 * - `topk_overlap(p, q, k)`: |top-k(p) ∩ top-k(q)| / k.
 * - view `attention_stability(run, slide, split, epoch, js_divergence,
 *   entropy)`: JS divergence of each slide's attention to the previous epoch,
 *   to the uniform distribution at its first epoch.
 * - views `bag_tiles`, `run_encoders` and `attention_tiles`: which tile each
 *   attention entry belongs to (`bag_order_sql.ts`).
 *
 * @module
 */

import { BAG_ORDER_SQL } from "./bag_order_sql.ts";

/** SQL that (re)creates the macros and views. */
export const MACROS_SQL = `${BAG_ORDER_SQL}
CREATE OR REPLACE MACRO js_divergence(p, q) AS
  CASE WHEN p IS NULL OR q IS NULL OR len(p) <> len(q) THEN NULL
  ELSE 0.5 * list_sum(list_transform(range(1, len(p) + 1),
      lambda i: p[i] * (ln(p[i] + 1e-8) - ln((p[i] + q[i]) / 2 + 1e-8))
              + q[i] * (ln(q[i] + 1e-8) - ln((p[i] + q[i]) / 2 + 1e-8))))
  END;
CREATE OR REPLACE MACRO attention_entropy(p) AS
  -list_sum(list_transform(p, lambda x: x * ln(x + 1e-8)));
CREATE OR REPLACE MACRO effective_patches(p) AS exp(attention_entropy(p));
CREATE OR REPLACE MACRO uniform_like(p) AS
  list_transform(p, lambda x: 1.0 / len(p));
CREATE OR REPLACE MACRO topk_indices(p, k) AS
  list_transform(
    list_slice(list_reverse_sort(list_zip(p, range(1, len(p) + 1))), 1, k),
    lambda s: s[2]);
CREATE OR REPLACE MACRO topk_overlap(p, q, k) AS
  len(list_intersect(topk_indices(p, k), topk_indices(q, k)))::DOUBLE
    / least(k, len(p));
CREATE OR REPLACE VIEW attention_stability AS
  SELECT run, slide, split, epoch,
    js_divergence(reference, scores) AS js_divergence,
    attention_entropy(scores) AS entropy
  FROM (
    -- The reference is materialised first: passed inline, DuckDB would
    -- re-evaluate lag/uniform_like for every list element (~80× slower).
    SELECT run, slide, split, epoch, scores,
      coalesce(lag(scores) OVER (PARTITION BY run, slide ORDER BY epoch),
        uniform_like(scores)) AS reference
    FROM attention);
`;
