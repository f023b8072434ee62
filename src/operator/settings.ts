// What every controller of the operator is configured with: flags and environment of
// `nbv operator`, values of the Helm chart. One object, passed to each controller's register().
import { UserError } from '../errors.ts';
import { imagesFromEnv, type StepImages } from '../builders/images.ts';
import {
  DEFAULT_METADATA_JOB_SETTINGS,
  type MetadataJobSettings,
} from '../builders/metadata-job.ts';

export interface OperatorSettings {
  images: StepImages;
  metadataJob: MetadataJobSettings;
  /** Watch only this namespace (namespaced kinds); all namespaces when undefined. */
  namespace?: string;
  /** Concurrent reconciles per controller. */
  workers: number;
}

/** A whole number from the environment; a malformed value is an error naming the variable. */
function envInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new UserError(`${name}: "${raw}" is not a whole number of 0 or more`);
  return value;
}

export function defaultSettings(env: NodeJS.ProcessEnv = process.env): OperatorSettings {
  const images = imagesFromEnv(env);
  const d = DEFAULT_METADATA_JOB_SETTINGS;
  return {
    images,
    metadataJob: {
      images,
      backoffLimit: envInteger(env, 'NBV_METADATA_JOB_BACKOFF_LIMIT', d.backoffLimit),
      activeDeadlineSeconds: envInteger(
        env,
        'NBV_METADATA_JOB_DEADLINE_SECONDS',
        d.activeDeadlineSeconds,
      ),
      ttlSecondsAfterFinished: envInteger(
        env,
        'NBV_METADATA_JOB_TTL_SECONDS',
        d.ttlSecondsAfterFinished,
      ),
    },
    workers: 4,
  };
}
