import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { giveToServerUser, writeServerFile } from './server-file.js';
import type { ProcessIdentity } from './server-process.js';
import { withClient } from './with-client.js';

// Directories whose contents a base backup leaves out (PostgreSQL's own list, as in
// pg_basebackup): WAL comes by streaming, the rest is rebuilt at start-up.
const EMPTIED_DIRECTORIES = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_stat_tmp',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
]);
const LEFT_OUT_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'pg_internal.init',
]);

async function copyTree(from: string, to: string, owner: ProcessIdentity | undefined, top: boolean) {
  await mkdir(to, { mode: 0o700 });
  await giveToServerUser(to, owner);
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      if (entry.isDirectory()) {
        if (top && EMPTIED_DIRECTORIES.has(entry.name)) {
          await mkdir(target, { mode: 0o700 });
          await giveToServerUser(target, owner);
          if (entry.name === 'pg_wal')
            await copyTree(
              path.join(source, 'archive_status'),
              path.join(target, 'archive_status'),
              owner,
              false,
            );
          return;
        }
        await copyTree(source, target, owner, false);
      } else if (entry.isFile() && !LEFT_OUT_FILES.has(entry.name)) {
        // A file the server removes mid-copy is no loss: WAL replay recreates what matters.
        const copied = await copyFile(source, target).then(
          () => true,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return false;
            throw error;
          },
        );
        if (copied) await giveToServerUser(target, owner);
      }
    }),
  );
}

/**
 * Takes a base backup of a running primary into `targetDir` the way `pg_basebackup` does, with
 * the SQL functions since the embedded binaries ship no `pg_basebackup`: a physical replication
 * slot reserves the WAL from now on, `pg_backup_start` checkpoints, the data directory is
 * copied, and `pg_backup_stop` returns the `backup_label` that tells the copy where recovery
 * must begin. The copy then needs the primary's WAL from that point — by streaming.
 */
export async function takeBaseBackup(backup: {
  primaryUrl: string;
  primaryDataDir: string;
  targetDir: string;
  slot: string;
  owner: ProcessIdentity | undefined;
}): Promise<void> {
  await withClient(backup.primaryUrl, async (client) => {
    await client.query('select pg_create_physical_replication_slot($1, true)', [backup.slot]);
    // The backup belongs to this session: closing it early aborts the backup.
    await client.query('select pg_backup_start($1, true)', [`strata ${backup.slot}`]);
    await copyTree(backup.primaryDataDir, backup.targetDir, backup.owner, true);
    const { rows } = await client.query<{ labelfile: string; spcmapfile: string | null }>(
      'select labelfile, spcmapfile from pg_backup_stop(false)',
    );
    const stopped = rows[0];
    if (!stopped) throw new Error('pg_backup_stop returned no row');
    await writeServerFile(path.join(backup.targetDir, 'backup_label'), stopped.labelfile, backup.owner);
    if (stopped.spcmapfile) {
      await writeServerFile(path.join(backup.targetDir, 'tablespace_map'), stopped.spcmapfile, backup.owner);
    }
  });
}
