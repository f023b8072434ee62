import { UserError } from '../../errors.ts';
import { integerFlag, parseCommandLine } from '../args.ts';
import {
  DEFAULT_INSTALL_OPTIONS,
  installManifests,
  type CertMode,
  type InstallOptions,
} from '../../install/manifests.ts';
import { toYaml } from '../../util/yaml.ts';
import { writeLine, type CliIo } from '../io.ts';

const d = DEFAULT_INSTALL_OPTIONS;
const USAGE = `Usage: nbv install --print [flags] | kubectl apply --server-side -f -

Prints the objects that install the operator: Namespace, CRDs, RBAC, Deployment, Services,
webhook configurations.

  --print                  write the manifests to stdout (required: nbv does not apply them)
  --namespace NS           the operator's namespace (default ${d.namespace})
  --image IMAGE            the nbv image (default ${d.image})
  --git-image IMAGE        the clone steps' image (default ${d.gitImage})
  --replicas N             operator replicas (default ${d.replicas})
  --watch-namespace NS     watch only NS (default: all namespaces)
  --cert-mode MODE         self-signed (the operator manages it) or cert-manager (default ${d.certMode})
  --no-webhook             no admission webhooks
  --webhook-url URL        development: the apiserver calls the webhooks at URL (https://host:port)
  --service-monitor        add a prometheus-operator ServiceMonitor
  --no-crds                leave out the CustomResourceDefinitions
  --no-namespace           leave out the Namespace object
  --metadata-job-backoff-limit N, --metadata-job-deadline-seconds N, --metadata-job-ttl-seconds N
                           the BaseModel metadata Job (defaults ${d.metadataJob.backoffLimit}, ${d.metadataJob.activeDeadlineSeconds}, ${d.metadataJob.ttlSecondsAfterFinished})`;

/** `nbv install --print`: the install manifests as one YAML stream. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      print: { type: 'boolean' },
      namespace: { type: 'string', short: 'n' },
      image: { type: 'string' },
      'git-image': { type: 'string' },
      replicas: { type: 'string' },
      'watch-namespace': { type: 'string' },
      'cert-mode': { type: 'string' },
      'no-webhook': { type: 'boolean' },
      'webhook-url': { type: 'string' },
      'service-monitor': { type: 'boolean' },
      'no-crds': { type: 'boolean' },
      'no-namespace': { type: 'boolean' },
      'metadata-job-backoff-limit': { type: 'string' },
      'metadata-job-deadline-seconds': { type: 'string' },
      'metadata-job-ttl-seconds': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  if (!values.print) throw new UserError(`nothing to do without --print\n\n${USAGE}`);
  const certMode = values['cert-mode'];
  if (certMode !== undefined && certMode !== 'self-signed' && certMode !== 'cert-manager')
    throw new UserError(`--cert-mode: "${certMode}" is not self-signed or cert-manager`);
  const webhookUrl = values['webhook-url'];
  if (webhookUrl !== undefined && !/^https:\/\/[^/]+/.test(webhookUrl))
    throw new UserError(`--webhook-url: "${webhookUrl}" is not an https:// URL`);
  const job = d.metadataJob;
  type CountFlag =
    'replicas' | `metadata-job-${'backoff-limit' | 'deadline-seconds' | 'ttl-seconds'}`;
  const count = (flag: CountFlag) => integerFlag(flag, values[flag], 'a non-negative integer');
  const options: Partial<InstallOptions> = {
    namespace: values.namespace,
    image: values.image,
    gitImage: values['git-image'],
    replicas: count('replicas'),
    watchNamespace: values['watch-namespace'],
    certMode: certMode as CertMode | undefined,
    webhook: !values['no-webhook'],
    webhookUrl,
    serviceMonitor: values['service-monitor'] === true,
    crds: !values['no-crds'],
    createNamespace: !values['no-namespace'],
    metadataJob: {
      backoffLimit: count('metadata-job-backoff-limit') ?? job.backoffLimit,
      activeDeadlineSeconds: count('metadata-job-deadline-seconds') ?? job.activeDeadlineSeconds,
      ttlSecondsAfterFinished: count('metadata-job-ttl-seconds') ?? job.ttlSecondsAfterFinished,
    },
  };
  for (const object of installManifests(options)) io.stdout.write(`---\n${toYaml(object)}`);
  return 0;
}
