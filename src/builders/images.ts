// Images of the containers nbv runs itself. The operator takes them from its configuration
// (flags or environment); these are the defaults.

export interface StepImages {
  /** The nbv image: the report step and the metadata Job. */
  nbv: string;
  /** An image with git and a POSIX shell: the clone steps. */
  git: string;
}

export const DEFAULT_IMAGES: StepImages = {
  nbv: 'ghcr.io/nbv-project/nbv:0.1.0',
  git: 'docker.io/alpine/git:v2.47.2',
};

export function imagesFromEnv(env: NodeJS.ProcessEnv): StepImages {
  return { nbv: env.NBV_IMAGE || DEFAULT_IMAGES.nbv, git: env.NBV_GIT_IMAGE || DEFAULT_IMAGES.git };
}
