"""Writes the red-team scenario (run in this folder: `python3 generate.py`). One canary per leak class of
issue 10; every canary mixes letters and digits so it is never a plain word. gzip uses mtime=0, so the
output is reproducible."""
import base64, gzip, json

b64 = lambda b: base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()
gz = lambda s: gzip.compress(s.encode(), mtime=0)
crt = open("../canaries/tls.crt").read()
key = open("../canaries/webhook.key").read()
needles = []
def c(needle, place):
    needles.append((needle, place))
    return needle

SHA40 = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

values = {
    "coder": {
        "image": {"repo": "ghcr.io/coder/coder", "tag": "v2.15.0"},
        "commandArgs": ["--psk", c("RTcmdArgs5i9J", "Helm values coder.commandArgs after --psk"), "--verbose"],
        "initContainers": [{"name": "init", "args": ["--api-key", c("RTinitArgs6j0K", "Helm values initContainers[].args after --api-key")]}],
        "env": [{"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"}],
    },
    "database": {"pass": c("RTdbPass4b8C", "Helm values database.pass"), "host": "db.example.com"},
    "vault": {"approle": {"secretId": c("RTvault5c9D", "Helm values vault.approle.secretId")}},
    "extraEnvVars": [{"name": "DB_PASSWORD", "value": c("RTextraEnv6d0E", "Helm values extraEnvVars DB_PASSWORD")}],
    "pass": c("RTpass7e1F", "Helm values top-level pass"),
    "notes": c("RTnotesPlain2g9Q", "Helm values free-text leaf under a plain key"),
    "kubeconfig": "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://k8s.example.com}\nusers:\n- name: u\n  user:\n    token: " + c("RTkubeconfig9w3X", "Helm values kubeconfig user token") + "\n",
    "extraObjects": json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "listed"}, "stringData": {"password": c("RTlist0x4Y", "Helm values a List of Secrets (JSON string)")}}]}),
    "extraTemplates": ["apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\nstringData:\n  token: " + c("RTextraTpl1y5Z", "Helm values extraTemplates Secret") + "\n"],
}
release = {"name": "coder", "namespace": "coder", "version": 1, "info": {"status": "deployed"},
           "chart": {"metadata": {"name": "coder", "version": "2.15.0", "appVersion": "v2.15.0"}},
           "config": values, "manifest": ""}

kapp_plain = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}, "stringData": {"password": c("RTkapp2z6A", "kapp original annotation (JSON)")}})
kapp_escaped = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k2"}, "stringData": {"password": c("RTkapp3a7B", "kapp original annotation (\\u-escaped JSON)")}}).replace("R", "\\u0052")

script = ("tailscale up --psk " + c("RTshPsk8l2M", "sh -c script --psk") +
          " && kubeadm join 10.0.0.1:6443 --token " + c("RTkubeadm9m3N", "sh -c script kubeadm join --token") +
          " && mysql -h db -p" + c("RTmysql0n4O", "sh -c script mysql -pX") +
          " && redis-cli -a " + c("RTredis1o5P", "sh -c script redis-cli -a X") +
          " && docker login -u bot -p " + c("RTdocker2p6Q", "sh -c script docker login -p X") +
          " && curl -u admin:" + c("RTcurl3q7R", "sh -c script curl -u user:X") +
          " -H 'Authorization: Bearer " + c("RTbearer5s9T", "sh -c script Authorization Bearer header") + "'" +
          " -H \"PRIVATE-TOKEN: " + c("RTprivHdr6t0U", "sh -c script PRIVATE-TOKEN header") + "\"" +
          " -H 'X-Api-Key: " + c("RTapiKey7u1V", "sh -c script X-Api-Key header") + "' https://api.example.com/v1" +
          " && kubectl create secret generic x --from-literal=password=" + c("RTliteral4r8S", "sh -c script --from-literal=password=X"))

docs = []
docs.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
  "metadata": {"name": "policy"},
  "webhooks": [{"name": "policy.example.com", "admissionReviewVersions": ["v1"], "sideEffects": "None",
    "clientConfig": {"url": "https://hooks.example.com/validate?token=" + c("RTwebhookQuery7a1B", "webhook clientConfig.url query token="),
                     "caBundle": b64(b64(crt + key))}}]})
needles.append(("99pIkWdBexvNinixvZjfR6WN5Oih", "webhook caBundle: double base64 of a certificate and webhook.key"))
docs.append({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "smb"},
  "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteMany"], "storageClassName": "smb",
           "mountOptions": ["vers=3.0", "username=svc", "password=" + c("RTmountOpt1e5F", "PV mountOptions password=")],
           "flexVolume": {"driver": "example.com/cifs", "options": {"password": c("RTflexOpt2f6G", "PV flexVolume options.password"), "mode": "ro"}}}})
docs.append({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "encrypted"},
  "provisioner": "ebs.csi.aws.com",
  "parameters": {"encrypted": "true", "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abcd",
                 "adminSecretValue": c("RTscParam3g7H", "StorageClass parameters free-form value")}})
docs.append({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "keystore", "namespace": "coder"},
  "spec": {"secretName": "keystore-tls", "dnsNames": ["coder.example.com"], "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"},
           "keystores": {"pkcs12": {"create": True, "password": c("RTkeystore4h8I", "cert-manager keystores.pkcs12.password literal"),
                                     "passwordSecretRef": {"name": "ks", "key": "password"}}}}})
docs.append({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
  "metadata": {"name": "sh.helm.release.v1.coder.v1", "namespace": "coder", "labels": {"owner": "helm", "name": "coder"}},
  "data": {"release": b64(b64(gz(json.dumps(release))))}})
docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
  "metadata": {"name": "coder", "namespace": "coder", "annotations": {
    "nginx.ingress.kubernetes.io/configuration-snippet": "proxy_set_header Authorization \"Basic " + c("RTnginx8v2W", "Ingress nginx configuration-snippet Authorization") + "\";\nproxy_set_header X-Env prod;",
    "nginx.ingress.kubernetes.io/auth-url": "https://auth.azurewebsites.net/api/check?code=" + c("RTazureCode8b2C", "Ingress annotation Azure ?code="),
    "example.com/chat-webhook": "https://hooks.slack.com/services/T0AB1CD2E/B0FG3HI4J/" + c("RTslackPathXy12Zq34Wv56", "annotation chat webhook secret in URL path"),
    "example.com/presigned": "https://bucket.s3.eu-west-1.amazonaws.com/backup.tar?X-Amz-Signature=" + c("RTpresign9c3E", "annotation presigned URL signature"),
    "kapp.k14s.io/original": kapp_plain,
    "kapp.k14s.io/original-escaped": kapp_escaped,
    "kubernetes.io/change-cause": "export PGPASSWORD=" + c("RTpgpass8f2G", "change-cause export PGPASSWORD=") + " && DB_PASSWORD=" + c("RTdbpw9g3H", "change-cause DB_PASSWORD=") + " ./migrate",
  }},
  "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["coder.example.com"], "secretName": "coder-tls"}],
           "rules": [{"host": "coder.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "coder", "port": {"name": "http"}}}}]}}]}})
env_yaml_merge = None  # written as YAML below
pod = {"apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "coder", "namespace": "coder", "labels": {"app.kubernetes.io/name": "coder", "app.kubernetes.io/version": "89abcdef0123456789abcdef0123456789abcdef"}},
  "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "coder"}}, "template": {
    "metadata": {"labels": {"app.kubernetes.io/name": "coder"}},
    "spec": {"serviceAccountName": "coder", "imagePullSecrets": [{"name": "regcred"}],
      "initContainers": [{"name": "init", "image": "busybox@" + DIGEST,
                          "command": ["sh", "-c", script]}],
      "containers": [{"name": "coder", "image": "ghcr.io/coder/coder:" + SHA40,
        "args": ["server", "--token", c("RTtokenPair7k1L", "args --token X pair")],
        "env": [
          {"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"},
          {"name": "CODER_OIDC_ISSUER_URL", "value": "https://login.microsoftonline.com/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f/v2.0"},
          {"name": "CODER_OIDC_CLIENT_ID", "value": "abcdef0123456789abcdef0123456789"},
          {"name": "CODER_INNER_IMAGE", "value": "ghcr.io/coder/envbox-inner:" + SHA40},
          {"name": "ENVBUILDER_GIT_URL", "value": "https://gitlab.example.com/api/v4/projects/7/repository/archive?sha=main&private_token=" + c("RTprivTok0d4E", "env URL &private_token=")},
          {"name": "CODER_EXPERIMENTS", "value": "hvs.CAESI" + c("RTvaultHvs3k7LmN0pQr5sT", "allow-listed env with a Vault hvs. token")},
          {"name": "LOG_FORMAT", "value": "opts=eyJhbGciOiJIUzI1NiJ9.eyJSVCI6MX0." + c("RTjwtSig4l8M", "allow-listed env with a JWT after =")},
          {"name": "HTTP_PROXY", "value": "user:" + c("RTproxy5m9N", "HTTP_PROXY user:pass@host without a scheme") + "@proxy.example.com:3128"},
          {"name": "WEIRD_MAP", "value": {"inner": c("RTenvMap0h4I", "env value written as a map")}},
          {"name": "WEIRD_LIST", "value": [c("RTenvList1i5J", "env value written as a list")]},
          {"name": "DB_SSL_MODE", "value": "verify-full"},
          {"name": "DB_HOST", "value": "db.example.com"},
          {"name": "HUMAN_LOG", "value": "/dev/stderr"},
        ],
        "readinessProbe": {"httpGet": {"path": "/metrics?token=" + c("RTprobeToken9c3D", "probe httpGet.path ?token="), "port": "http"}},
      }]}}}}
docs.append(pod)
docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coder", "namespace": "coder",
  "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/coder"}}})

with open("10-redteam.yaml", "w") as f:
    f.write("# Generated by generate.py: one canary per leak class of issue 10 (see needles.tsv).\n")
    for d in docs:
        f.write("---\n" + json.dumps(d, indent=1) + "\n")
    # YAML merge keys in env items, which JSON cannot express.
    f.write("""---
apiVersion: v1
kind: Pod
metadata:
  name: merged
  namespace: coder
spec:
  containers:
  - name: app
    image: ghcr.io/example/app:1.0
    env:
    - &base
      name: MERGED_SECRET
      value: %s
    - <<: *base
      name: MERGED_COPY
""" % c("RTmerge2j6K", "env item with a YAML merge key (<<)"))
with open("needles.tsv", "w") as f:
    f.write("# needle<TAB>where it hides (generated by generate.py)\n")
    for n, p in needles:
        f.write(f"{n}\t{p}\n")
