{{/*
Names are fixed, as in deploy/: one Coxswain per cluster (its ClusterRoles are cluster-wide, and `coxswain rbac`
binds the ClusterRole coxswain-write to the ServiceAccount coxswain).
*/}}

{{/* Labels of every object's metadata: the chart's own, and Helm's. Never used in selectors. */}}
{{- define "coxswain.labels" -}}
app.kubernetes.io/name: {{ .name | default "coxswain" }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .partOf }}
app.kubernetes.io/part-of: {{ . }}
{{- end }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{/* The bot's image: repository@digest, or repository:tag (the chart's appVersion by default). */}}
{{- define "coxswain.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* The Deployments of the chosen shape: [component, values, extra node flags]. */}}
{{- define "coxswain.roles" -}}
{{- if eq .Values.shape "split" -}}
- { component: gateway, flag: --no-maglev }
- { component: worker }
- { component: watcher, flag: --optimize-for-size }
{{- else -}}
- { component: all, flag: --optimize-for-size }
{{- end -}}
{{- end }}

{{/* A Deployment's name: coxswain for the one of shape all, coxswain-ROLE for the split ones. */}}
{{- define "coxswain.deploymentName" -}}
{{- if eq . "all" }}coxswain{{ else }}coxswain-{{ . }}{{ end -}}
{{- end }}
