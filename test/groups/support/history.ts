import { join } from 'node:path';

/** The recorded group workflow history that test/groups/group-replay.test.ts replays. */
export const GROUP_HISTORY_FILE = join(__dirname, '..', '..', 'histories', 'groups', 'group-lifecycle.json');
