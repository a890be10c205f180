/**
 * The base class of `Store` (data/store.ts): the store's operations
 * (data/store_access.ts) with every group of named queries mixed in, one
 * group per file, so the SQL of the stages and commands lives in data/.
 *
 * @module
 */
import { StoreAccess } from "./store_access.ts";
import { withSlideQueries } from "./slide_queries.ts";
import { withEmbeddingQueries } from "./embedding_queries.ts";
import { withEvaluationQueries } from "./evaluation_queries.ts";
import { withAttentionQueries } from "./attention_queries.ts";
import { withExperimentQueries } from "./experiment_queries.ts";

/** {@link StoreAccess} with the slide, embedding, evaluation, attention and experiment queries. */
export const StoreQueries = withExperimentQueries(
  withAttentionQueries(
    withEvaluationQueries(
      withEmbeddingQueries(withSlideQueries(StoreAccess)),
    ),
  ),
);
