// The `isthmus kv` command family.
import type { Command } from '../../command.js';
import { kvDeleteCommand } from './delete.js';
import { kvExportCommand, kvImportCommand } from './export-import.js';
import { kvGetCommand } from './get.js';
import { kvPutCommand } from './put.js';

export const KV_COMMANDS: readonly Command[] = [kvGetCommand, kvPutCommand, kvDeleteCommand, kvExportCommand, kvImportCommand];
