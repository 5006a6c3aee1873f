{{/* The admission webhook (webhook.enabled, daemon mode): names, and what it adds to the daemon's pod. */}}
{{- define "secret-rotator.webhook.enabled" -}}
{{- if and .Values.webhook.enabled (eq .Values.mode "daemon") }}true{{ end }}
{{- end }}

{{- define "secret-rotator.webhook.serviceName" -}}
{{- printf "%s-webhook" (include "secret-rotator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "secret-rotator.webhook.tlsSecretName" -}}
{{- printf "%s-webhook-tls" (include "secret-rotator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Where the serving certificate is mounted; the daemon re-reads it when cert-manager renews it. */}}
{{- define "secret-rotator.webhook.tlsDir" -}}/var/run/secret-rotator/tls{{- end }}

{{/* Extra daemon arguments. */}}
{{- define "secret-rotator.webhook.args" -}}
{{- if include "secret-rotator.webhook.enabled" . }}
{{- $dir := include "secret-rotator.webhook.tlsDir" . }}
{{- toYaml (list "--webhook-port" (toString .Values.webhook.port) "--tls-cert-file" (printf "%s/tls.crt" $dir) "--tls-private-key-file" (printf "%s/tls.key" $dir)) }}
{{- end }}
{{- end }}

{{/* Container port, volume mount and volume, each rendered as list items (empty when the webhook is off). */}}
{{- define "secret-rotator.webhook.port" -}}
{{- if include "secret-rotator.webhook.enabled" . }}
- name: webhook
  containerPort: {{ .Values.webhook.port }}
  protocol: TCP
{{- end }}
{{- end }}

{{- define "secret-rotator.webhook.volumeMount" -}}
{{- if include "secret-rotator.webhook.enabled" . }}
- name: webhook-tls
  mountPath: {{ include "secret-rotator.webhook.tlsDir" . }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "secret-rotator.webhook.volume" -}}
{{- if include "secret-rotator.webhook.enabled" . }}
- name: webhook-tls
  secret:
    secretName: {{ include "secret-rotator.webhook.tlsSecretName" . }}
{{- end }}
{{- end }}
