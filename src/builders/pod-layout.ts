// The fixed layout of the validation pod: the volumes nbv adds and the paths its steps use.
// Admission reserves these, so a user's volume can never shadow them.

export const WORKSPACE_VOLUME = 'workspace';
export const GIT_CREDENTIALS_VOLUME = 'git-credentials';
export const GOLDEN_GIT_CREDENTIALS_VOLUME = 'golden-git-credentials';

/** Every volume name the builder may add, plus names the existing operator used for its own. */
export const RESERVED_VOLUME_NAMES: readonly string[] = [
  WORKSPACE_VOLUME,
  GIT_CREDENTIALS_VOLUME,
  GOLDEN_GIT_CREDENTIALS_VOLUME,
  'git-clone',
  'notebook-data',
  'source',
  'jovyan-home',
];

export const WORKSPACE_DIR = '/workspace';
export const REPO_DIR = `${WORKSPACE_DIR}/repo`;
export const GOLDEN_DIR = `${WORKSPACE_DIR}/golden`;
/** Where the execute step leaves the executed notebook, its exit code and its log. */
export const STATE_DIR = `${WORKSPACE_DIR}/.nbv`;
export const HOME_DIR = `${WORKSPACE_DIR}/.home`;
export const CREDENTIALS_DIR = '/etc/nbv/git-credentials';
export const GOLDEN_CREDENTIALS_DIR = '/etc/nbv/golden-git-credentials';

/** Mount paths a user volume may not use: nbv's own and the system's. */
export const RESERVED_MOUNT_PATHS: readonly string[] = [
  WORKSPACE_DIR,
  '/etc/nbv',
  '/dev',
  '/proc',
  '/sys',
];

export const STEP_GIT_CLONE = 'git-clone';
export const STEP_GOLDEN_GIT_CLONE = 'golden-git-clone';
export const STEP_EXECUTE = 'execute';
export const STEP_REPORT = 'report';

/** Non-root identity of every container (the Jupyter images' jovyan user and users group). */
export const RUN_AS_USER = 1000;
export const RUN_AS_GROUP = 100;
