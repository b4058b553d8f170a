//! The seed: Coder's "shared security responsibility" page, leaf bullet by leaf bullet. Every bullet is
//! either checked by techniques or findings, or marked not observable from a snapshot with the reason
//! and the owner. What checks each bullet, and `docs/seed-coverage.md`, are in [`crate::coverage`].

use serde::Serialize;

macro_rules! seed {
    ($( $variant:ident = { id: $id:literal, section: $section:literal, text: $text:literal,
        unobservable: $unobs:expr $(,)? } ),* $(,)?) => {
        /// One leaf bullet of the seed page (plus `None` for findings about the snapshot itself).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum SeedBullet {
            $( #[doc = $text] $variant, )*
        }

        impl SeedBullet {
            /// Every bullet, in page order.
            pub const ALL: &'static [SeedBullet] = &[ $( SeedBullet::$variant, )* ];

            /// Stable id (`storage.quotas`).
            pub fn id(self) -> &'static str {
                match self { $( SeedBullet::$variant => $id, )* }
            }

            /// The section path on the page (`Storage`, `Networking › Encryption (mTLS)`).
            pub fn section(self) -> &'static str {
                match self { $( SeedBullet::$variant => $section, )* }
            }

            /// The bullet's text as the page words it.
            pub fn text(self) -> &'static str {
                match self { $( SeedBullet::$variant => $text, )* }
            }

            /// For what no snapshot can show: (why, who owns it). Checked in part where techniques or
            /// findings exist; otherwise the bullet is reported `not-observable`.
            pub fn unobservable(self) -> Option<(&'static str, &'static str)> {
                match self { $( SeedBullet::$variant => $unobs, )* }
            }
        }
    };
}

seed! {
    StorageQuotas = { id: "storage.quotas", section: "Storage", text: "Quotas", unobservable: None },
    StorageEncryption = { id: "storage.encryption", section: "Storage", text: "Encryption",
        unobservable: None },
    CloudVolumes = { id: "storage.cloud-access-to-volumes", section: "Storage", text: "Cloud access to volumes",
        unobservable: None },
    StorageDepletionPvc = { id: "storage.depletion.pvc", section: "Storage › Depletion as denial of service", text: "PVC",
        unobservable: None },
    StorageDepletionEphemeral = { id: "storage.depletion.ephemeral", section: "Storage › Depletion as denial of service", text: "Ephemeral",
        unobservable: None },
    TlsCoderd = { id: "networking.tls.coderd", section: "Networking › Encryption (mTLS) › Certificates", text: "TLS certificates presented by `coderd`",
        unobservable: None },
    TlsApplications = { id: "networking.tls.applications", section: "Networking › Encryption (mTLS) › Certificates", text: "TLC certificates presented by the applications with which Coder interacts",
        unobservable: None },
    NetworkBoundaries = { id: "networking.boundaries", section: "Networking", text: "Boundaries (defined by network policies)",
        unobservable: None },
    ExternalInteractions = { id: "networking.external", section: "Networking", text: "External interactions (ingress and egress)",
        unobservable: None },
    IpDepletionPods = { id: "networking.ip-depletion.pods", section: "Networking › IP address depletion as denial of service", text: "Each workspace gets an IP in the pod subset",
        unobservable: None },
    IpDepletionServices = { id: "networking.ip-depletion.services", section: "Networking › IP address depletion as denial of service", text: "Each dev URL gets an IP address in the services subnet",
        unobservable: None },
    CoderServiceAccounts = { id: "roles.coder-service-accounts", section: "Kubernetes roles", text: "Services accounts for Coder to create pods",
        unobservable: None },
    ClusterAdmins = { id: "roles.cluster-admins", section: "Kubernetes roles", text: "Cluster admins as a security risk",
        unobservable: None },
    CloudControlPlane = { id: "roles.cloud-control-plane", section: "Kubernetes roles", text: "Cloud access to the control plane",
        unobservable: None },
    NodeUpgrades = { id: "nodes.upgrades", section: "Node security", text: "Upgrading to keep up with Kubernetes",
        unobservable: None },
    NodeUserAccess = { id: "nodes.user-account-access", section: "Node security", text: "Node user account access",
        unobservable: None },
    CloudNodes = { id: "nodes.cloud-access", section: "Node security", text: "Cloud access to nodes",
        unobservable: None },
    SharedCluster = { id: "cluster.shared", section: "Coder in a shared cluster", text: "The security boundary is threaded through the components above (section, not a bullet)",
        unobservable: None },
    AuthMisconfiguration = { id: "external.auth.misconfiguration", section: "External tie-ins › Authentication providers", text: "Incorrect configuration can compromise Coder security",
        unobservable: None },
    AuthLoginConversion = { id: "external.auth.login-conversion", section: "External tie-ins › Authentication providers", text: "Ability to convert a user account logging in via OIDC to built-in allows an administrator to impersonate an end-user",
        unobservable: Some(("which accounts were converted lives in Coder's database (login_type per user); the snapshot shows only whether password login stays enabled", "Coder administrators (audit log, `users?q=login_type:password`)")) },
    RegistrySelectRoles = { id: "external.registries.select-roles", section: "External tie-ins › Container registries", text: "Select roles can add registries",
        unobservable: Some(("who may edit templates (and so pick registries) is Coder RBAC in the database; the snapshot shows the images in use", "Coder administrators (template ACLs)")) },
    RegistryCoderOnlyAccount = { id: "external.registries.coder-only-account", section: "External tie-ins › Container registries", text: "The registry account used to add the registry needs to be a specific Coder-only account so that only approved images can be pulled",
        unobservable: None },
    RegistryCvmUnauthenticated = { id: "external.registries.cvm-unauthenticated", section: "External tie-ins › Container registries", text: "CVMs can only pull unauthenticated containers",
        unobservable: Some(("a Coder v1 CVM restriction enforced by the runtime, not visible in Kubernetes objects", "Coder (product behaviour); operators of v1 deployments")) },
    RegistryAnyUserReference = { id: "external.registries.any-user-reference", section: "External tie-ins › Container registries", text: "Any user can reference the containers in the registry",
        unobservable: None },
    GitOauthAdmin = { id: "external.git.oauth-admin", section: "External tie-ins › Git providers", text: "OAuth linkage allows a Coder admin to perform actions as the Git user",
        unobservable: None },
    GitSshKeys = { id: "external.git.ssh-keys", section: "External tie-ins › Git providers", text: "SSH keys generated by Coder are added to workspaces, which can be used to create 2FA to Coder via GitLab",
        unobservable: None },
    GitSshAndHttps = { id: "external.git.ssh-and-https", section: "External tie-ins › Git providers", text: "Git provider integration needs both SSH and HTTPS access to work",
        unobservable: None },
    GitDotfilesAllRepos = { id: "external.git.dotfiles-all-repos", section: "External tie-ins › Git providers", text: "To clone private dotfiles repos, access to all user repos is added to the Coder workspace",
        unobservable: None },
    GitSingleProviderType = { id: "external.git.single-provider-type", section: "External tie-ins › Git providers", text: "Coder doesn't allow the linking of multiple Git providers of the same type",
        unobservable: None },
    GitOauthDisableDos = { id: "external.git.oauth-disable-dos", section: "External tie-ins › Git providers", text: "Disabling the OAuth linked account can result in a denial of service",
        unobservable: Some(("whether a linked account is disabled lives at the Git provider", "the Git provider's administrators")) },
    None = { id: "snapshot", section: "(snapshot coverage)", text: "Not a seed bullet: what the snapshot itself could not show",
        unobservable: None },
}

impl SeedBullet {
    /// How Coder v1 (`coder/enterprise-helm`, which the page was written for) and v2 differ on this
    /// bullet, where they do (v1 is recognised by `crate::coder::generation`).
    pub fn versions(self) -> Option<&'static str> {
        use SeedBullet as B;
        Some(match self {
            B::TlsCoderd => {
                "v1 serves TLS itself when `coderd.tls.hostSecretName` mounts a certificate (`SSL_SERVER_CERT_FILE`); v2 through `CODER_TLS_ENABLE` or a TLS Ingress"
            }
            B::TlsApplications => {
                "v1's built-in TimescaleDB is reached with `DB_SSL_MODE=disable` and no password (`coder-db-plaintext`, its pod an edge to the database); v2 reads its connection URL from a Secret"
            }
            B::ExternalInteractions => {
                "v1 dev URLs (`coderd.devurlsHost`, env `DEVURL_HOST`) publish workspace ports, publicly at the user's choice (`coder-dev-url`); v2 shares ports through `coder_app` and port sharing, signed-in users by default"
            }
            B::IpDepletionServices => {
                "the bullet's dev URLs are v1's; on v2 the Services are those templates declare"
            }
            B::CoderServiceAccounts => {
                "v1's chart Role `coder` lets coderd's service account read and write Secrets and exec into pods: whatever reaches coderd or its token reaches every workspace; workspaces run as `environments` (no rights). v2's chart Role covers pods, PVCs and deployments, and Terraform templates run with the provisioner's token (`coder-template-provisioner`, absent on v1)"
            }
            B::NodeUserAccess => {
                "v1 CVMs are privileged with the host's `/usr/src` and `/lib/modules`; v2 envbox templates the same where used"
            }
            B::AuthMisconfiguration => {
                "v1 reads the site admin's password from a Secret (`SUPER_ADMIN_PASSWORD`: `coder-admin-password`) and SCIM's auth from another, and renders `logging.splunk.token` as a literal `SPLUNK_TOKEN` env (`secret-literal-env`); v2's `CODER_*` settings (OIDC, token lifetime, owner workspace access) do not exist on v1 and are not reported there"
            }
            B::AuthLoginConversion => {
                "v1 lets an administrator convert an OIDC user to built-in login; v2 only lets users convert their own password login to OIDC or GitHub"
            }
            B::RegistrySelectRoles => {
                "v1 site admins and managers add site-wide registries; v2 templates name images and pull Secrets"
            }
            B::RegistryCvmUnauthenticated => "v1 only: v2 has no CVMs",
            B::GitOauthAdmin | B::GitSshKeys => {
                "v1 links Git OAuth accounts and generates SSH keys; v2 has external auth and `gitsshkey`, and `CODER_DISABLE_OWNER_WORKSPACE_ACCESS`"
            }
            _ => return None,
        })
    }

    /// The bullets of the page (everything but the snapshot pseudo-bullet).
    pub fn page() -> impl Iterator<Item = SeedBullet> {
        SeedBullet::ALL
            .iter()
            .copied()
            .filter(|b| *b != SeedBullet::None)
    }
}

impl Serialize for SeedBullet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
