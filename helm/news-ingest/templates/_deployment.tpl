{{/*
One role's workload. Called with (dict "root" $ "role" "poller"|"processor" "command" "poll"|"process").
Liveness is the main loop's heartbeat (never a broker check: an outage makes pods not-ready, it does not restart
them); readiness is restored, connected and holding partitions; the startup probe leaves room for state restore.
The processor keeps its story store (the story-state topic's local copy) on a volume: with storyStore.persistent
it is a StatefulSet whose pods each get a volume claim that survives a restart (a restart reads only the
topic's tail); without, a Deployment with an emptyDir (every start rebuilds the store from the topic).
*/}}
{{- define "news-ingest.deployment" -}}
{{- $root := .root }}
{{- $values := index $root.Values .role }}
{{- $fullname := include "news-ingest.fullname" $root }}
{{- $autoscaled := or $values.autoscaling.enabled (and (eq .role "processor") $root.Values.processor.keda.enabled) }}
{{- $stored := and (eq .role "processor") $root.Values.processor.storyStore.persistent }}
apiVersion: apps/v1
kind: {{ include "news-ingest.workloadKind" (dict "root" $root "role" .role) }}
metadata:
  name: {{ $fullname }}-{{ .role }}
  labels:
    {{- include "news-ingest.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
spec:
  {{- if not $autoscaled }}
  replicas: {{ $values.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  {{- if $stored }}
  serviceName: {{ $fullname }}-metrics  # the pods' Service (a StatefulSet names one; no DNS per pod is needed)
  # Pods start and stop together (a rebalance each way), one at a time when the template changes.
  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
  persistentVolumeClaimRetentionPolicy:
    # A pod scaled away keeps its claim: scaled back, it restarts warm. Deleting the release deletes them.
    whenScaled: Retain
    whenDeleted: Delete
  {{- else }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      # One replica at a time: each move of partitions is a rebalance, and a surge would only add another.
      maxSurge: 0
      maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- include "news-ingest.selectorLabels" $root | nindent 6 }}
      app.kubernetes.io/component: {{ .role }}
  template:
    metadata:
      labels:
        {{- include "news-ingest.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .role }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed config rolls the pods: the worker reads its settings once, at start.
        checksum/config: {{ include "news-ingest.configData" $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "news-ingest.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      # SIGTERM starts the worker's grace period (shutdownGraceSeconds); Kubernetes waits a little longer.
      terminationGracePeriodSeconds: {{ add $root.Values.shutdownGraceSeconds 15 }}
      containers:
        - name: {{ .role }}
          image: {{ include "news-ingest.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .command | quote }}, "--config", "/etc/news-ingest/config.yaml"]
          env:
            {{- include "news-ingest.env" (dict "root" $root "role" .role) | nindent 12 }}
            {{- if eq .role "processor" }}
            - name: NEWS_INGEST_DEDUPE__STORE_DIR
              value: /var/lib/news-ingest/story-store
            {{- end }}
          ports:
            - name: http-metrics
              containerPort: {{ $root.Values.service.port }}
              protocol: TCP
            {{- if and (eq .role "poller") $root.Values.websub.enabled }}
            - name: websub
              containerPort: {{ $root.Values.websub.port }}
              protocol: TCP
            {{- end }}
          startupProbe:
            httpGet: {path: /startupz, port: http-metrics}
            {{- toYaml $root.Values.probes.startup | nindent 12 }}
          livenessProbe:
            httpGet: {path: /healthz, port: http-metrics}
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet: {path: /readyz, port: http-metrics}
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "news-ingest.volumeMounts" $root | nindent 12 }}
            {{- if eq .role "processor" }}
            - name: story-store
              mountPath: /var/lib/news-ingest/story-store
            {{- end }}
      volumes:
        {{- include "news-ingest.volumes" (dict "root" $root "configMap" (printf "%s-config" $fullname)) | nindent 8 }}
        {{- if and (eq .role "processor") (not $stored) }}
        - name: story-store
          emptyDir:
            sizeLimit: {{ $root.Values.processor.storyStore.size }}
        {{- end }}
      topologySpreadConstraints:
        {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
        - maxSkew: 1
          topologyKey: {{ $key }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "news-ingest.selectorLabels" $root | nindent 14 }}
              app.kubernetes.io/component: {{ $.role }}
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  {{- if $stored }}
  volumeClaimTemplates:
    - metadata:
        name: story-store
        labels:
          {{- include "news-ingest.selectorLabels" $root | nindent 10 }}
          app.kubernetes.io/component: {{ .role }}
      spec:
        accessModes: [ReadWriteOnce]
        {{- with $root.Values.processor.storyStore.storageClassName }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ $root.Values.processor.storyStore.size }}
  {{- end }}
{{- end }}

{{/* Deployment, or StatefulSet for a processor with a persistent story store: the HPA and KEDA target it too. */}}
{{- define "news-ingest.workloadKind" -}}
{{- if and (eq .role "processor") .root.Values.processor.storyStore.persistent -}}
StatefulSet
{{- else -}}
Deployment
{{- end -}}
{{- end }}
