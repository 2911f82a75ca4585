import * as z from 'zod';
import type { AnyRoute } from './route';
import { errorEnvelopeSchema } from './schemas/common';

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document (only the parts this module writes are typed). */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly servers?: ReadonlyArray<{ readonly url: string }>;
  readonly tags: ReadonlyArray<{ readonly name: string }>;
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: { readonly schemas: Record<string, Json>; readonly securitySchemes: Json };
}

export interface OpenApiOptions {
  /** The API's base URL (`PUBLIC_URL`); omitted from the document when unknown. */
  readonly serverUrl?: string | undefined;
  readonly version: string;
}

const REF_PREFIX = '#/components/schemas/';
const ANONYMOUS = /^__schema\d+$/;
const ERROR_REF = { $ref: `${REF_PREFIX}Error` };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ERROR_REF } },
});

/**
 * The OpenAPI 3.1 document of a route table: the same zod schemas the router validates with, so
 * the document cannot drift from the behaviour. Schemas with `.meta({ id })` become
 * `components.schemas` entries; every error status the router can produce on its own (401/403 for
 * keyed routes, 400/413/415 for bodies, 400 for parameters) is added to each operation.
 * @throws Error when two different schemas share one `id` (a programming error the tests catch).
 */
export function buildOpenApiDocument<Deps>(
  routes: readonly AnyRoute<Deps>[],
  options: OpenApiOptions,
): OpenApiDocument {
  const schemas = new SchemaCollector();
  schemas.convert(errorEnvelopeSchema, 'output');
  // Responses first: a component keeps its plain name for its output shape, and a request that sees
  // a different input shape (defaults, coercions) gets an `...Input` variant instead.
  const responses = routes.map((r) => responsesOf(r, schemas));
  const paths: Record<string, Record<string, Json>> = {};
  routes.forEach((r, i) => {
    const operation: Json = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [...r.tags],
      parameters: parametersOf(r, schemas),
      ...(r.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemas.convert(r.body, 'input') } },
            },
          }),
      responses: responses[i],
      security: r.auth === 'public' ? [] : [{ bearerAuth: [] }, { sigv4: [] }],
      ...(r.auth === 'public' ? {} : { 'x-required-scope': r.auth }),
    };
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, Json>)[r.method.toLowerCase()] = operation;
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'oauth-refresher',
      version: options.version,
      description: 'Self-hosted OAuth token refresh service. Errors use the envelope `Error`.',
    },
    ...(options.serverUrl === undefined ? {} : { servers: [{ url: options.serverUrl }] }),
    tags: [...new Set(routes.flatMap((r) => r.tags))].map((name) => ({ name })),
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (`ork_...`).' },
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS IAM (SigV4); API Gateway checks the signature and the caller policy.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

function responsesOf<Deps>(r: AnyRoute<Deps>, schemas: SchemaCollector): Record<string, Json> {
  const out: Record<string, Json> = {};
  const specs = Object.entries(r.responses);
  // A public route without a JSON success answers a browser with pages and redirects (api.md: the
  // OAuth callback), errors included; every other route's errors are api.md's JSON envelope.
  const forBrowsers = r.auth === 'public' && !specs.some(([s, spec]) => Number(s) < 300 && spec.schema);
  for (const [status, spec] of specs) {
    if (spec.schema !== undefined)
      out[status] = {
        description: spec.description,
        content: { 'application/json': { schema: schemas.convert(spec.schema, 'output') } },
      };
    else if (Number(status) >= 400 && !forBrowsers) out[status] = errorResponse(spec.description);
    else out[status] = { description: spec.description };
  }
  const add = (status: number, description: string) => {
    out[String(status)] ??= errorResponse(description);
  };
  if (r.body !== undefined || r.params !== undefined || r.query !== undefined)
    add(400, 'Invalid request: `details` lists each problem with its path');
  if (r.auth !== 'public') {
    add(401, 'Missing or wrong API key');
    add(403, `The key lacks the ${r.auth} scope`);
  }
  if (r.body !== undefined) {
    add(413, `The body is over ${r.maxBodyBytes === undefined ? '64 KB' : `${r.maxBodyBytes} bytes`}`);
    add(415, 'The body is not application/json');
  }
  return out;
}

function parametersOf<Deps>(r: AnyRoute<Deps>, schemas: SchemaCollector): Json[] {
  const parameters: Json[] = [];
  for (const [where, schema] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (schema === undefined) continue;
    const object = schemas.resolve(schemas.convert(schema, 'input'));
    const required = new Set((object.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((object.properties ?? {}) as Record<string, Json>)) {
      const { description, ...rest } = property;
      parameters.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  // A path template segment the params schema forgot is still a parameter a client must send.
  for (const [, name] of r.path.matchAll(/\{([^}]+)\}/g)) {
    if (name !== undefined && !parameters.some((p) => p.in === 'path' && p.name === name))
      parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
  return parameters;
}

/**
 * Turns zod schemas into JSON Schema 2020-12 (OpenAPI 3.1's dialect) and hoists every schema with an
 * `id` into `components`, rewriting `#/$defs/X` references to `#/components/schemas/X`.
 */
class SchemaCollector {
  readonly components: Record<string, Json> = {};
  /** Each id's first definition as zod emitted it (refs still `#/$defs/...`), to spot input variants. */
  private readonly raw = new Map<string, string>();
  private readonly anonymous = new Map<string, string>();

  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      // Responses may gain fields (api.md: extending is fine): don't tell clients to reject them.
      override: ({ jsonSchema }) => {
        if (io === 'output' && jsonSchema.additionalProperties === false)
          delete jsonSchema.additionalProperties;
      },
    }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    const raw = new Map(Object.entries(defs).map(([id, def]) => [id, JSON.stringify(def)]));
    const variant = new Set<string>();
    if (io === 'input') {
      for (const [id, text] of raw) if (this.raw.has(id) && this.raw.get(id) !== text) variant.add(id);
      // A definition referring to an input variant is itself a variant.
      for (let grew = true; grew; ) {
        grew = false;
        for (const [id, text] of raw)
          if (!variant.has(id) && [...variant].some((v) => text.includes(`"#/$defs/${v}"`))) {
            variant.add(id);
            grew = true;
          }
      }
    }
    const names = new Map<string, string>();
    for (const [id, text] of raw) {
      if (!ANONYMOUS.test(id)) names.set(id, variant.has(id) ? `${id}Input` : id);
      else {
        // zod names a recursive schema without an id `__schema<n>`, counting afresh per conversion:
        // name it by content, so equal ones share a component and different ones never collide.
        const key = text.replaceAll(`"#/$defs/${id}"`, '"#self"');
        const name = this.anonymous.get(key) ?? `Recursive${this.anonymous.size + 1}`;
        this.anonymous.set(key, name);
        names.set(id, name);
      }
    }
    const nameOf = (id: string) => names.get(id) ?? id;
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) =>
          k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')
            ? [k, `${REF_PREFIX}${nameOf(v.slice('#/$defs/'.length))}`]
            : [k, rewrite(v)],
        ),
      );
    };
    for (const [id, def] of Object.entries(defs)) {
      const name = nameOf(id);
      const final = rewrite(def) as Json;
      const existing = this.components[name];
      if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(final))
        throw new Error(`two different schemas share the OpenAPI component id ${name}`);
      this.components[name] = final;
      if (!this.raw.has(id) && !ANONYMOUS.test(id)) this.raw.set(id, raw.get(id) ?? '');
    }
    return rewrite(json) as Json;
  }

  /** A schema itself, following one component reference. */
  resolve(json: Json): Json {
    const ref = json.$ref;
    if (typeof ref !== 'string' || !ref.startsWith(REF_PREFIX)) return json;
    return this.components[ref.slice(REF_PREFIX.length)] ?? json;
  }
}
