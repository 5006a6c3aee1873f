{{/*
The RBAC rules a config needs, as YAML: {cluster: [rules]} or {namespaced: {ns: [rules]}}.
The same decision as the tool's `secret-rotator rbac` command (src/SecretRotator/Kubernetes/RbacRules.cs); the chart
tests render both for every value set and require them to be equal, and run the tool against a fake API server that
enforces exactly these rules.
  namespaces:      get (dry-run checks a namespace exists); list when a target uses a glob or a selector;
                   daemon: list + watch (namespace watch).
  secrets:         get, list, create, update; delete with settings.prune or rbac.typeRepair; daemon: watch.
  serviceaccounts: get, list, patch when a target names service accounts or prune unlinks them; daemon: watch.
                   Namespaced: list only with prune or the daemon (the tool reads accounts one by one there).
  {secret:} / mirror sources (namespaced scope): get on exactly those Secrets, where not already granted;
                   daemon: get, list, watch on mirror sources (watched by fieldSelector metadata.name).
*/}}
{{- define "secret-rotator.rbacPlan" -}}
{{- $v := .Values }}
{{- $daemon := eq $v.mode "daemon" }}
{{- $settings := default (dict) $v.config.settings }}
{{- $prune := default false (get $settings "prune") }}
{{- $delete := or $prune $v.rbac.typeRepair }}
{{- $needList := false }}
{{- $anyAccounts := false }}
{{- range $v.config.secrets }}
{{- if .namespaces.selector }}{{ $needList = true }}{{ end }}
{{- range (default (list) .namespaces.names) }}{{ if regexMatch "[*?]" . }}{{ $needList = true }}{{ end }}{{ end }}
{{- if .serviceAccounts }}{{ $anyAccounts = true }}{{ end }}
{{- end }}
{{- $secretVerbs := list "get" "list" "create" "update" }}
{{- if $delete }}{{ $secretVerbs = append $secretVerbs "delete" }}{{ end }}
{{- $accountVerbs := list "get" "list" "patch" }}
{{- if $daemon }}
{{- $secretVerbs = append $secretVerbs "watch" }}
{{- $accountVerbs = append $accountVerbs "watch" }}
{{- end }}
{{- if eq $v.rbac.scope "cluster" }}
{{- $nsVerbs := list "get" }}
{{- if or $needList $daemon }}{{ $nsVerbs = append $nsVerbs "list" }}{{ end }}
{{- if $daemon }}{{ $nsVerbs = append $nsVerbs "watch" }}{{ end }}
{{- $rules := list (dict "apiGroups" (list "") "resources" (list "namespaces") "verbs" $nsVerbs) (dict "apiGroups" (list "") "resources" (list "secrets") "verbs" $secretVerbs) }}
{{- if or $anyAccounts $prune }}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "serviceaccounts") "verbs" $accountVerbs) }}
{{- end }}
{{- toYaml (dict "cluster" $rules) }}
{{- else }}
{{- if $needList }}
{{- fail "rbac.scope=namespaced needs exact namespace names in config.secrets[].namespaces (no globs, no selector); use rbac.scope=cluster" }}
{{- end }}
{{- $targets := dict }}
{{- range $v.config.secrets }}
{{- $target := . }}
{{- range .namespaces.names }}
{{- $ns := . }}
{{- $excluded := false }}
{{- range (default (list) $target.namespaces.exclude) }}{{ if regexMatch (include "secret-rotator.globRegex" .) $ns }}{{ $excluded = true }}{{ end }}{{ end }}
{{- if not $excluded }}
{{- $accounts := or (default false (get $targets $ns)) (not (empty $target.serviceAccounts)) $prune }}
{{- $_ := set $targets $ns $accounts }}
{{- end }}
{{- end }}
{{- end }}
{{- $sources := dict }}
{{- $watched := dict }}
{{- range $v.config.registries }}
{{- $refs := list }}
{{- range (list .username .password) }}{{ if and (kindIs "map" .) (hasKey . "secret") }}{{ $refs = append $refs .secret }}{{ end }}{{ end }}
{{- if and (eq .type "mirror") .source }}{{ $refs = append $refs .source }}{{ end }}
{{- range $refs }}
{{- if not (hasKey $targets .namespace) }}
{{- $_ := set $sources .namespace (append (default (list) (get $sources .namespace)) .name | uniq | sortAlpha) }}
{{- end }}
{{- end }}
{{- if and $daemon (eq .type "mirror") .source }}
{{- $_ := set $watched (printf "%s/%s" .source.namespace .source.name) true }}
{{- end }}
{{- end }}
{{- /* Per namespace, service accounts are read one by one (GET); only prune and the daemon's informer list them. */}}
{{- $nsAccountVerbs := list "get" }}
{{- if or $prune $daemon }}{{ $nsAccountVerbs = append $nsAccountVerbs "list" }}{{ end }}
{{- $nsAccountVerbs = append $nsAccountVerbs "patch" }}
{{- if $daemon }}{{ $nsAccountVerbs = append $nsAccountVerbs "watch" }}{{ end }}
{{- $roles := dict }}
{{- range $ns, $accounts := $targets }}
{{- $rules := list (dict "apiGroups" (list "") "resources" (list "secrets") "verbs" $secretVerbs) }}
{{- if $accounts }}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "serviceaccounts") "verbs" $nsAccountVerbs) }}
{{- end }}
{{- $_ := set $roles $ns $rules }}
{{- end }}
{{- range $ns, $names := $sources }}
{{- $readOnly := list }}
{{- $watchedNames := list }}
{{- range $names }}{{ if hasKey $watched (printf "%s/%s" $ns .) }}{{ $watchedNames = append $watchedNames . }}{{ else }}{{ $readOnly = append $readOnly . }}{{ end }}{{ end }}
{{- $rules := list }}
{{- if $readOnly }}{{ $rules = append $rules (dict "apiGroups" (list "") "resources" (list "secrets") "resourceNames" $readOnly "verbs" (list "get")) }}{{ end }}
{{- if $watchedNames }}{{ $rules = append $rules (dict "apiGroups" (list "") "resources" (list "secrets") "resourceNames" $watchedNames "verbs" (list "get" "list" "watch")) }}{{ end }}
{{- $_ := set $roles $ns $rules }}
{{- end }}
{{- toYaml (dict "namespaced" $roles) }}
{{- end }}
{{- end }}
