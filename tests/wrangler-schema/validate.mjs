// Validates wrangler configs (JSON) against the JSON schema the wrangler npm package ships.
// Usage: node validate.mjs <config-schema.json> <config.json>...   (exit 1 and the errors on failure)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.EDGE_AJV_DIR + "/");
const Ajv = require("ajv");
const [schemaPath, ...configs] = process.argv.slice(2);
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
let failed = false;
for (const path of configs) {
  if (!validate(JSON.parse(readFileSync(path, "utf8")))) {
    failed = true;
    console.error(`${path}:\n${JSON.stringify(validate.errors, null, 2)}`);
  }
}
process.exit(failed ? 1 : 0);
