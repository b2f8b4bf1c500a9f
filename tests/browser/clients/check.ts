// Calls logam through types that openapi-typescript generated from /openapi.json, with
// openapi-fetch. tests/clients.rs generates ./logam.d.ts, type-checks this file with tsc
// (strict), then runs it:  node out/check.js BASE_URL
import createClient from "openapi-fetch";
import type { paths } from "./logam.js";

const client = createClient<paths>({
  baseUrl: process.argv[2],
  // The document declares the statement's named parameters as a form-exploded object
  // (`?sql=...&nama=logam`); openapi-fetch serialises objects as deepObject unless told.
  querySerializer: { object: { style: "form", explode: true } },
});

function fail(what: string, detail: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

const listed = await client.GET("/api/datasets");
if (!listed.data) fail("datasets", listed.error);
console.log("datasets", listed.data.datasets.length, listed.data.datasets[0]?.id);

const page = await client.GET("/api/datasets/{id}/rows", {
  params: { path: { id: "kbli" }, query: { _size: 2 } },
});
if (!page.data) fail("rows", page.error);
console.log("rows", page.data.rows.length);

const answer = await client.GET("/api/sql", {
  params: { query: { sql: "SELECT :nama AS nama", statement_parameters: { nama: "logam" } } },
});
if (!answer.data) fail("sql", answer.error);
const first = answer.data.rows[0] as Record<string, unknown> | undefined;
if (first?.["nama"] !== "logam") fail("sql row", first);
console.log("sql", answer.data.columns.map((c) => c.name).join(","), first["nama"]);

const downloaded = await client.GET("/api/sql.json", { params: { query: { sql: "SELECT 2 AS dua" } } });
if (!Array.isArray(downloaded.data)) fail("sql.json", downloaded.error);
console.log("sql.json", downloaded.data.length);

const result = await client.GET("/api/indicators/{id}", { params: { path: { id: "cagr" } } });
if (!result.data) fail("indicator", result.error);
console.log("indicator", result.data.rows.length);
console.log("typescript client: every call passed");
