// nbv operator: the controllers and the admission webhook, against the current kubeconfig (or
// the pod's service account in a cluster). What the Deployment in config/ runs.
import { randomUUID } from 'node:crypto';
import { UserError } from '../../errors.ts';
import { integerFlag, parseCommandLine } from '../args.ts';
import { runOperator } from '../../operator/operator.ts';
import { defaultSettings } from '../../operator/settings.ts';
import { createLogger, loadConnection, type ListenAddress } from '../../runtime/index.ts';
import { parseGoDuration } from '../../util/duration.ts';
import { writeLine, type CliIo } from '../io.ts';

const USAGE = `Usage: nbv operator [flags]

  --kubeconfig FILE        cluster to run against (default: $KUBECONFIG, ~/.kube/config, in-cluster)
  --namespace NS           watch only this namespace (default: all)
  --workers N              concurrent reconciles per controller (default 4)
  --leader-elect           take part in leader election (Lease ${'`nbv-operator`'})
  --lease-namespace NS     namespace of the Lease (default: $POD_NAMESPACE)
  --lease-duration D       how long a Lease holds without renewal (default 15s)
  --renew-deadline D       how long the leader tries to renew before it gives up (default 10s)
  --retry-period D         how often candidates try (default 2s)
  --metrics-port N         /metrics (default 8080; 0 for any free port, -1 for none)
  --health-port N          /healthz and /readyz (default 8081; -1 for none)
  --bind-address HOST      address of the metrics, health and webhook servers (default 0.0.0.0)
  --webhook-port N         admission webhook HTTPS port (default 9443; -1 for none)
  --cert-dir DIR           webhook certificate from DIR/tls.crt and DIR/tls.key (cert-manager)
  --self-signed-certs      create and rotate the webhook certificate in a Secret, patch caBundle
  --webhook-service NAME   DNS name(s) for the self-signed certificate, comma-separated
                           (default nbv-webhook.$POD_NAMESPACE.svc)
  --register-webhooks URL  development: create the webhook configurations pointing at URL
                           (e.g. https://127.0.0.1:9443), scoped to --namespace when given
  --log-level LEVEL        fatal, error, warn, info, debug (default info)

Images come from NBV_IMAGE and NBV_GIT_IMAGE; metadata Job settings from
NBV_METADATA_JOB_BACKOFF_LIMIT, NBV_METADATA_JOB_DEADLINE_SECONDS, NBV_METADATA_JOB_TTL_SECONDS.`;

function port(value: string | undefined, fallback: number, flag: string): number {
  return integerFlag(flag, value, 'a port number (0-65535, or -1 for none)', -1, 65535) ?? fallback;
}

function duration<K extends string>(
  value: string | undefined,
  flag: string,
  key: K,
): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0)
    throw new UserError(`--${flag}: "${value}" is not a duration such as 15s`);
  return { [key]: ms } as Partial<Record<K, number>>;
}

function listen(n: number, host: string | undefined): ListenAddress | false {
  return n < 0 ? false : { port: n, ...(host ? { host } : {}) };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      workers: { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      'metrics-port': { type: 'string' },
      'health-port': { type: 'string' },
      'bind-address': { type: 'string' },
      'webhook-port': { type: 'string' },
      'cert-dir': { type: 'string' },
      'self-signed-certs': { type: 'boolean' },
      'webhook-service': { type: 'string' },
      'register-webhooks': { type: 'string' },
      'log-level': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const settings = defaultSettings(io.env);
  if (values.namespace) settings.namespace = values.namespace;
  settings.workers =
    integerFlag('workers', values.workers, 'a positive integer', 1) ?? settings.workers;
  const host = values['bind-address'];
  const podNamespace = io.env.POD_NAMESPACE;
  const webhookPort = port(values['webhook-port'], 9443, 'webhook-port');
  const certDir = values['cert-dir'];
  const selfSigned = values['self-signed-certs'] === true;
  if (webhookPort >= 0 && !certDir && !selfSigned)
    throw new UserError(
      'the webhook needs a certificate: give --cert-dir DIR or --self-signed-certs (or --webhook-port -1 for no webhook)',
    );
  if (certDir && selfSigned)
    throw new UserError('--cert-dir and --self-signed-certs exclude each other');
  const certNamespace = podNamespace ?? values['lease-namespace'] ?? settings.namespace;
  if (selfSigned && !certNamespace)
    throw new UserError(
      '--self-signed-certs keeps the certificate in a Secret: set POD_NAMESPACE (or --lease-namespace)',
    );
  const leaseNamespace = values['lease-namespace'] ?? podNamespace;
  if (values['leader-elect'] && !leaseNamespace)
    throw new UserError('--leader-elect needs --lease-namespace or POD_NAMESPACE');

  const log = createLogger({
    level: values['log-level'] ?? io.env.NBV_LOG_LEVEL ?? 'info',
    base: io.env.POD_NAME ? { pod: io.env.POD_NAME } : {},
  });
  await runOperator({
    connection: loadConnection({ kubeconfig: values.kubeconfig }),
    settings,
    log,
    leaderElection: values['leader-elect']
      ? {
          namespace: leaseNamespace,
          // The pod's name says which replica leads; the suffix tells its restarts apart.
          ...(io.env.POD_NAME
            ? { identity: `${io.env.POD_NAME}_${randomUUID().slice(0, 8)}` }
            : {}),
          ...duration(values['lease-duration'], 'lease-duration', 'leaseDurationMs'),
          ...duration(values['renew-deadline'], 'renew-deadline', 'renewDeadlineMs'),
          ...duration(values['retry-period'], 'retry-period', 'retryPeriodMs'),
        }
      : false,
    metrics: listen(port(values['metrics-port'], 8080, 'metrics-port'), host),
    health: listen(port(values['health-port'], 8081, 'health-port'), host),
    webhook:
      webhookPort < 0
        ? false
        : {
            port: webhookPort,
            ...(host ? { host } : {}),
            certificate: certDir
              ? { kind: 'directory', dir: certDir }
              : {
                  kind: 'self-signed',
                  namespace: certNamespace ?? '',
                  dnsNames: (values['webhook-service'] ?? `nbv-webhook.${certNamespace}.svc`)
                    .split(',')
                    .map((s) => s.trim())
                    .filter(Boolean),
                },
            ...(values['register-webhooks']
              ? { register: { url: values['register-webhooks'], namespace: settings.namespace } }
              : {}),
          },
  });
  return 0;
}
