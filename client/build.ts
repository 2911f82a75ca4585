/**
 * Builds the installable typed client (`client/`, package `@oauth-refresher/client`) from
 * shared/api/client.ts: `dist/index.js` (ESM, no dependencies: its zod imports are types only) and
 * `dist/index.d.ts`, self-contained: every type the client derives from the server's zod schemas is
 * written out in full, so a project that installs the client needs neither zod nor this repository.
 *
 *   npm run build:client        (npm pack ./client runs it as well, through prepack)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const entry = join(root, 'shared/api/client.ts');
const out = join(root, 'client/dist');

async function main(): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const bundled = await build({
    entryPoints: [entry],
    outfile: join(out, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const inputs = Object.keys(bundled.metafile.inputs);
  if (inputs.length !== 1)
    throw new Error(`the client bundle must hold only the client, got: ${inputs.join(', ')}`);
  await writeFile(join(out, 'index.d.ts'), declarations());
}

/** The client's declarations with every type alias that reaches into the schemas written out in full. */
function declarations(): string {
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    declaration: true,
    emitDeclarationOnly: true,
    types: [],
  });
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot read ${entry}`);
  const checker = program.getTypeChecker();
  const expanded = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const text = statement.type.getText(source);
    // Aliases built from the schemas (`z.output<typeof connectionSchema>`, ...): write them out.
    if (!/\bz\.|typeof \w+Schema\b/.test(text)) continue;
    expanded.set(statement.name.text, written(checker, checker.getTypeAtLocation(statement.name), statement));
  }
  let emitted = '';
  const result = program.emit(
    source,
    (_name, text) => {
      emitted = text;
    },
    undefined,
    true,
  );
  if (result.emitSkipped || emitted === '') throw new Error('declaration emit failed');
  const dts = ts.createSourceFile('index.d.ts', emitted, ts.ScriptTarget.ES2022, true);
  const parts: string[] = [];
  for (const statement of dts.statements) {
    if (ts.isImportDeclaration(statement)) continue; // zod and the schemas: types only, now inlined
    if (ts.isTypeAliasDeclaration(statement) && expanded.has(statement.name.text)) {
      const docs = ts.getJSDocCommentsAndTags(statement).map((d) => d.getFullText(dts).trim());
      parts.push(
        [...docs, `export type ${statement.name.text} = ${expanded.get(statement.name.text)};`].join('\n'),
      );
      continue;
    }
    parts.push(statement.getFullText(dts).trim());
  }
  const text = `${JSON_VALUE}\n${parts.join('\n')}\n`.replaceAll('z.core.util.JSONType', 'JsonValue');
  const leftover = /\bz\.|\$Zod|\bJSONType\b|typeof \w+Schema\b/.exec(text);
  if (leftover !== null) throw new Error(`the declarations still reference the schemas: ${leftover[0]}`);
  return text;
}

/** zod's `z.json()` type, which metadata uses. */
const JSON_VALUE = `/** Any JSON value (connection metadata). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };`;

const FLAGS =
  ts.TypeFormatFlags.NoTruncation |
  ts.TypeFormatFlags.InTypeAlias |
  ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

/**
 * A type written out structurally. An object type is written property by property, so a type
 * literal whose members mention the schemas (`z.output<typeof x>['field']`) is resolved too.
 */
function written(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): string {
  const isObject = (type.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(type);
  if (!isObject && !type.isIntersection()) return checker.typeToString(type, at, FLAGS);
  const members = checker.getPropertiesOfType(type).map((property) => {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    const readonly =
      declaration !== undefined &&
      (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Readonly) !== 0;
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    const value = checker.typeToString(checker.getTypeOfSymbolAtLocation(property, at), at, FLAGS);
    const name = /^[A-Za-z_$][\w$]*$/.test(property.name) ? property.name : JSON.stringify(property.name);
    return `  ${readonly ? 'readonly ' : ''}${name}${optional ? '?' : ''}: ${value};`;
  });
  return `{\n${members.join('\n')}\n}`;
}

main().catch((error: unknown) => {
  console.error(`build:client failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
