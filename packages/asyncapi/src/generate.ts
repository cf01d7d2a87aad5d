// The document from the real contract: `buf build` compiles proto/ to a FileDescriptorSet (with the
// comments), protobuf-es reads it, the topic catalogue says the rest.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createFileRegistry, type FileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { asyncApiDocument } from './document.ts';
import { documentedTopics } from './topics.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The descriptors of proto/ as buf compiles them, imports (google/protobuf) included. */
export function contractRegistry(): FileRegistry {
  const built = spawnSync(`${root}node_modules/.bin/buf`, ['build', '-o', '-'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (built.status !== 0) {
    throw new Error(`buf build failed: ${built.error?.message ?? built.stderr.toString()}`);
  }
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, built.stdout));
}

/** The document as the contract and the catalogue make it now, as it is kept: JSON, two-space, newline. */
export function generateAsyncApiText(): string {
  return `${JSON.stringify(asyncApiDocument(contractRegistry(), documentedTopics), null, 2)}\n`;
}
