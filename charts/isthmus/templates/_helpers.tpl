{{/* Chart name. */}}
{{- define "isthmus.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every object: global.name, else the release name when it names the product, else <release>-isthmus. */}}
{{- define "isthmus.fullname" -}}
{{- if .Values.global.name -}}
{{- .Values.global.name | trunc 63 | trimSuffix "-" -}}
{{- else if or (contains "isthmus" .Release.Name) (contains "consul" .Release.Name) -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-isthmus" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "isthmus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Standard labels; call with (list . "component"). */}}
{{- define "isthmus.labels" -}}
{{- $root := index . 0 -}}
app: {{ template "isthmus.name" $root }}
chart: {{ template "isthmus.chart" $root }}
heritage: {{ $root.Release.Service }}
release: {{ $root.Release.Name }}
component: {{ index . 1 }}
{{- end -}}

{{/* Selector labels; call with (list . "component"). */}}
{{- define "isthmus.selector" -}}
{{- $root := index . 0 -}}
app: {{ template "isthmus.name" $root }}
release: {{ $root.Release.Name }}
component: {{ index . 1 }}
{{- end -}}

{{/* Whether servers run: server.enabled, with "-" meaning true. */}}
{{- define "isthmus.serverEnabled" -}}
{{- if or (eq (toString .Values.server.enabled) "-") .Values.server.enabled -}}true{{- end -}}
{{- end -}}

{{/* In-cluster HTTP address of the servers. */}}
{{- define "isthmus.serverHTTPAddr" -}}
http://{{ template "isthmus.fullname" . }}-server.{{ .Release.Namespace }}.svc:8500
{{- end -}}

{{/* The consul-k8s peering checks (run before anything else renders). */}}
{{- define "isthmus.peeringChecks" -}}
{{- if and .Values.global.peering.enabled (not .Values.connectInject.enabled) }}{{ fail "setting global.peering.enabled to true requires connectInject.enabled to be true" }}{{ end }}
{{- if and .Values.global.peering.enabled (not .Values.global.tls.enabled) }}{{ fail "setting global.peering.enabled to true requires global.tls.enabled to be true" }}{{ end }}
{{- if and .Values.global.peering.enabled (not .Values.meshGateway.enabled) }}{{ fail "setting global.peering.enabled to true requires meshGateway.enabled to be true" }}{{ end }}
{{- if and .Values.global.adminPartitions.enabled (not .Values.global.enableConsulNamespaces) }}{{ fail "global.enableConsulNamespaces must be true if global.adminPartitions.enabled=true" }}{{ end }}
{{- end -}}
