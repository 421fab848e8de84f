import type { Config } from '../../config.ts';
import { backupSettings, BackupError, createBackupService } from './backup.service.ts';

export const BACKUP_USAGE = `  backup create                           Back up the platform database, every embedded plant database
                                          and the generated secret key into SENTINEL_BACKUP_DIR
  backup list                             Print the path of every backup, newest first
  backup verify FILE                      Check a backup's checksums and its databases' integrity
  backup restore FILE [--force]           Restore into an empty data directory (and empty DATABASE_URL
                                          database); --force replaces a stopped service's data`;

/** `sentinel backup …`: works on the files and databases directly, with or without a running service. */
export async function backupCommand(config: Config, sub: string | undefined, file: string | undefined, options: { force?: boolean | undefined }): Promise<void> {
  const backups = createBackupService(backupSettings(config));
  const needFile = () => {
    if (file === undefined) throw new BackupError(`Usage: sentinel backup ${sub} FILE`);
    return file;
  };
  switch (sub) {
    case 'create': {
      const backup = await backups.create();
      console.log(`${backup.path}\n  ${backup.files} file${backup.files === 1 ? '' : 's'}, ${backup.bytes} bytes, sha256 ${backup.sha256}`);
      for (const removed of backup.removed) console.log(`  removed the older ${removed}`);
      return;
    }
    case 'list':
      for (const backup of backups.list()) console.log(backup.path);
      return;
    case 'verify': {
      const manifest = await backups.verify(needFile());
      console.log(`OK: ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'} (${manifest.database}) from ${manifest.created_at}, checksums and integrity verified`);
      return;
    }
    case 'restore': {
      const manifest = await backups.restore(needFile(), { force: options.force });
      console.log(`Restored the backup of ${manifest.created_at}: ${manifest.files.map((entry) => entry.name).join(', ')}`);
      console.log(config.databaseUrl === undefined ? `into ${config.dataDir}` : `into ${config.dataDir} and the database in DATABASE_URL`);
      return;
    }
    default:
      throw new BackupError(`Unknown command "backup ${sub ?? ''}"\n\n${BACKUP_USAGE}`);
  }
}

export { BackupError };
