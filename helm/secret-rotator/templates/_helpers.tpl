{{/* Chart name, truncated to the 63 characters of a label value. */}}
{{- define "secret-rotator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of every resource: the release name, plus the chart name unless the release name already contains it. */}}
{{- define "secret-rotator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Cluster-scoped objects (ClusterRole, ClusterRoleBinding) are shared by every namespace: the same release name
installed in two namespaces must not collide, nor the second install take over the first one's grants. */}}
{{- define "secret-rotator.clusterName" -}}
{{- printf "%s-%s" (include "secret-rotator.fullname" .) .Release.Namespace }}
{{- end }}

{{/* Job names get a suffix; CronJob names must leave room for the 11 characters the controller appends. */}}
{{- define "secret-rotator.cronjobName" -}}
{{- include "secret-rotator.fullname" . | trunc 52 | trimSuffix "-" }}
{{- end }}

{{- define "secret-rotator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "secret-rotator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The standard app.kubernetes.io labels plus commonLabels. */}}
{{- define "secret-rotator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "secret-rotator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
app.kubernetes.io/part-of: secret-rotator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* metadata.annotations for ordinary resources: commonAnnotations, or nothing. */}}
{{- define "secret-rotator.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "secret-rotator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "secret-rotator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "secret-rotator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "secret-rotator.leaseName" -}}
{{- default (include "secret-rotator.fullname" .) .Values.daemon.leaseName }}
{{- end }}

{{/*
The config file the pods mount: values.config, with metrics.pushgateway from the values when its url is set.
*/}}
{{- define "secret-rotator.config" -}}
{{- $config := deepCopy .Values.config }}
{{- with .Values.metrics.pushgateway.url }}
{{- $push := dict "url" . "instance" (default $.Release.Name $.Values.metrics.pushgateway.instance) }}
{{- $metrics := default (dict) (get $config "metrics") }}
{{- $_ := set $metrics "pushgateway" $push }}
{{- $_ := set $config "metrics" $metrics }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* Glob (* and ?) as an anchored regular expression, like the tool's FileSystemName matching. */}}
{{- define "secret-rotator.globRegex" -}}
{{- printf "^%s$" (. | regexQuoteMeta | replace "\\*" ".*" | replace "\\?" ".") }}
{{- end }}

{{/*
Pod spec shared by the CronJob, the hook Job and the Deployment. Call with (dict "root" $ "args" (list ...)).
*/}}
{{- define "secret-rotator.podSpec" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
serviceAccountName: {{ include "secret-rotator.serviceAccountName" $root }}
automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: secret-rotator
    image: {{ include "secret-rotator.image" $root }}
    imagePullPolicy: {{ $v.image.pullPolicy }}
    args:
      {{- toYaml .args | nindent 6 }}
    env:
      - name: SECRET_ROTATOR_LOG_FORMAT
        value: json
      # .NET writes nothing else to disk; HOME on the writable /tmp for SDKs that cache tokens there.
      - name: HOME
        value: /tmp
      {{- if eq $v.mode "daemon" }}
      - name: POD_NAME
        valueFrom:
          fieldRef:
            fieldPath: metadata.name
      - name: POD_NAMESPACE
        valueFrom:
          fieldRef:
            fieldPath: metadata.namespace
      {{- end }}
      {{- with $v.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- if eq $v.mode "daemon" }}
    ports:
      - name: http
        containerPort: {{ $v.daemon.port }}
        protocol: TCP
      {{- include "secret-rotator.webhook.port" $root | nindent 6 }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: http
      periodSeconds: 10
      failureThreshold: 3
    readinessProbe:
      httpGet:
        path: /readyz
        port: http
      periodSeconds: 5
      failureThreshold: 2
    {{- end }}
    {{- with $v.securityContext }}
    securityContext:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $v.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - name: config
        mountPath: /etc/secret-rotator
        readOnly: true
      - name: tmp
        mountPath: /tmp
      {{- include "secret-rotator.webhook.volumeMount" $root | nindent 6 }}
      {{- with $v.extraVolumeMounts }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
volumes:
  - name: config
    configMap:
      name: {{ include "secret-rotator.fullname" $root }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- include "secret-rotator.webhook.volume" $root | nindent 2 }}
  {{- with $v.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* Pod template metadata: selector + standard labels, podLabels, config checksum, podAnnotations. */}}
{{- define "secret-rotator.podMetadata" -}}
labels:
  {{- include "secret-rotator.labels" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "secret-rotator.config" . | sha256sum }}
  {{- with .Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
