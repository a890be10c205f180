/**
 * Parsers for command-line option values; errors name the option and the
 * value seen.
 *
 * @module
 */

/** Parses an integer option. */
export function parseInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) {
      throw new Error(
        `${name} must be an integer: current value is "${value}"`,
      );
    }
    return n;
  };
}

/** Parses a finite number option. */
export function parseNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new Error(`${name} must be a number: current value is "${value}"`);
    }
    return n;
  };
}

/** Parses a JSON-object option. */
export function parseJsonOption(
  name: string,
  value: string,
): Record<string, unknown> {
  try {
    const parsed = JSON.parse(value);
    if (
      parsed === null || typeof parsed !== "object" || Array.isArray(parsed)
    ) {
      throw new Error("expected a JSON object");
    }
    return parsed;
  } catch (error) {
    throw new Error(
      `${name} must be a JSON object: ${
        (error as Error).message
      } in '${value}'`,
    );
  }
}
