/**
 * Imports every model file so each registers itself; import this module
 * (not the files one by one) to get the full registry. Add new models here.
 *
 * @module
 */
import "./abmil.ts";
import "./acmil.ts";
import "./asmil.ts";
import "./clam.ts";
import "./dsmil.ts";
import "./dtfd.ts";
import "./transmil.ts";
export { createModel, listModels, modelEntry } from "./registry.ts";
