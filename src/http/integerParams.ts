/**
 * Integer query and path parameters are decimal digits, checked on the raw text before the validator
 * coerces it. Ajv's coercion turns `Infinity`, `-Infinity`, `1e400` or `0x10` into numbers, and `Infinity`
 * then passes `type: integer` and reaches PostgreSQL; here such a value is a 400 naming the parameter.
 * The validator then checks the bounds of what is left, which are all finite.
 *
 * Built once from the OpenAPI document: only operations that have integer parameters pay anything (the
 * booking POST has none and passes straight through).
 */
import type { RequestHandler } from 'express';
import { validationError } from './errors.ts';

interface Operation { parameters?: { name: string; in: string; schema?: { type?: string } }[] }
type Document = { paths: Record<string, Record<string, Operation>> };

interface Route { pattern: RegExp; path: string[]; query: string[] }

/** Up to 16 digits: more is beyond every bound in the contract, and 400 digits would coerce to Infinity. */
const DECIMAL = /^-?[0-9]{1,16}$/;
const PROBLEM = 'must be a whole number written in decimal digits';

export function integerParameters(openApiDocument: object): RequestHandler {
  const document = openApiDocument as Document;
  const routes = new Map<string, Route[]>(); // by method
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const integers = (operation.parameters ?? []).filter((p) => p.schema?.type === 'integer');
      if (integers.length === 0) continue;
      const names: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_all, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const route: Route = {
        pattern: new RegExp(`^${source}/?$`),
        path: names.map((name) => (integers.some((p) => p.in === 'path' && p.name === name) ? name : '')),
        query: integers.filter((p) => p.in === 'query').map((p) => p.name),
      };
      const upper = method.toUpperCase();
      routes.set(upper, [...(routes.get(upper) ?? []), route]);
    }
  }

  return (req, _res, next) => {
    const candidates = routes.get(req.method);
    if (!candidates) return next();
    for (const route of candidates) {
      const match = route.pattern.exec(req.path);
      if (!match) continue;
      const problems: { field: string; message: string }[] = [];
      route.path.forEach((name, i) => {
        if (name && !DECIMAL.test(decodeSafely(match[i + 1] ?? ''))) problems.push({ field: name, message: PROBLEM });
      });
      for (const name of route.query) {
        const value: unknown = (req.query as Record<string, unknown>)[name];
        if (value !== undefined && !(typeof value === 'string' && DECIMAL.test(value))) {
          problems.push({ field: name, message: PROBLEM });
        }
      }
      if (problems.length > 0) return next(validationError(problems));
      break;
    }
    next();
  };
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
