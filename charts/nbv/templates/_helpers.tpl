{{/*
Labels of every object; the argument is the component (operator, rbac, webhook, metrics).
The same as installLabels() in src/install/manifests.ts.
*/}}
{{- define "nbv.labels" -}}
app.kubernetes.io/name: nbv
app.kubernetes.io/part-of: nbv
app.kubernetes.io/component: {{ . }}
{{- end }}

{{/* The operator pods' labels: the Deployment's selector and the Services'. */}}
{{- define "nbv.selectorLabels" -}}
app.kubernetes.io/name: nbv
app.kubernetes.io/component: operator
{{- end }}

{{- define "nbv.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* "true" when the operator manages the webhook certificate itself, else empty. */}}
{{- define "nbv.selfSignedCerts" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.certMode "self-signed") }}true{{ end }}
{{- end }}

{{/* "true" when cert-manager issues the webhook certificate, else empty. */}}
{{- define "nbv.certManager" -}}
{{- if and .Values.webhook.enabled (eq .Values.webhook.certMode "cert-manager") }}true{{ end }}
{{- end }}

{{/* DNS names of the webhook Service. */}}
{{- define "nbv.webhookHosts" -}}
nbv-webhook.{{ .Release.Namespace }}.svc,nbv-webhook.{{ .Release.Namespace }}.svc.cluster.local
{{- end }}

{{/* One webhook entry; the argument is a dict with root, name and path. */}}
{{- define "nbv.webhook" -}}
- name: {{ .name }}
  clientConfig:
    service:
      namespace: {{ .root.Release.Namespace }}
      name: nbv-webhook
      port: 443
      path: {{ .path }}
  rules:
    {{- .root.Files.Get "files/webhook-rules.yaml" | nindent 4 }}
  # Objects that skipped admission would be invalid or lack their defaults: fail closed.
  failurePolicy: Fail
  matchPolicy: Equivalent
  sideEffects: None
  admissionReviewVersions:
    - v1
  timeoutSeconds: 10
  {{- with .root.Values.watchNamespace }}
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ . }}
  {{- end }}
{{- end }}
