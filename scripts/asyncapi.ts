// `npm run gen`: writes docs/asyncapi.json, the AsyncAPI document of the topics, from the contract and the
// topic catalogue (packages/asyncapi).
import { writeFileSync } from 'node:fs';
import { asyncApiDocumentPath } from '@petition/asyncapi';
import { generateAsyncApiText } from '@petition/asyncapi/generate';

writeFileSync(asyncApiDocumentPath, generateAsyncApiText());
process.stderr.write(`wrote ${asyncApiDocumentPath}\n`);
