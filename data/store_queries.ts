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
import { withRunQueries } from "./run_queries.ts";

/** {@link StoreAccess} with the slide, embedding, evaluation, attention, experiment and run queries. */
export const StoreQueries = withRunQueries(withExperimentQueries(
  withAttentionQueries(
    withEvaluationQueries(
      withEmbeddingQueries(withSlideQueries(StoreAccess)),
    ),
  ),
));
