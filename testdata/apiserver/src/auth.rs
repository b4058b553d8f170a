//! Who is calling (bearer token, then `Impersonate-*` headers) and what they may do.
//!
//! The model is deliberately small: an identity may do everything except read the resources and
//! namespaces in its `deny` list. Only `system:masters` members may impersonate. An impersonated user
//! takes the deny list of the identity with that user name; an unknown user may do everything when an
//! impersonated group is `system:masters`, and nothing otherwise.

use http::HeaderMap;
use serde_json::{Value, json};

use crate::options::{AUTHENTICATED_GROUP, IdentitySpec, MASTERS_GROUP};
use crate::store::Store;

/// What a principal may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grants {
    /// Everything except what the list names (plurals, `plural.group`, `ns:NAME`).
    AllExcept(Vec<String>),
    /// Nothing but discovery, access reviews and non-resource URLs.
    Nothing,
}

/// The authenticated (and possibly impersonated) caller of one request.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub user: String,
    pub groups: Vec<String>,
    pub grants: Grants,
}

/// Why a request was refused before reaching its handler.
#[derive(Debug)]
pub(crate) enum AuthError {
    /// No token, or an unknown one.
    Unauthorized,
    /// The caller may not impersonate: (caller user, what it tried: `users "x"` or `groups "y"`,
    /// resource `users`/`groups`).
    CannotImpersonate {
        caller: String,
        target: String,
        resource: &'static str,
    },
}

fn with_authenticated(mut groups: Vec<String>) -> Vec<String> {
    if !groups.iter().any(|g| g == AUTHENTICATED_GROUP) {
        groups.push(AUTHENTICATED_GROUP.to_string());
    }
    groups
}

/// Authenticates a request. Without an `Authorization` header the caller is `default` when given (in
/// process, where there is no network to protect), else anonymous (`Ok(None)`, for the caller to decide).
pub(crate) fn authenticate(
    headers: &HeaderMap,
    identities: &[IdentitySpec],
    default: Option<&IdentitySpec>,
) -> Result<Option<Principal>, AuthError> {
    let identity = match (headers.get(http::header::AUTHORIZATION), default) {
        (None, None) => return Ok(None),
        (None, Some(default)) => default,
        (Some(auth), _) => {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or(AuthError::Unauthorized)?;
            identities
                .iter()
                .find(|i| i.token == token)
                .ok_or(AuthError::Unauthorized)?
        }
    };
    let caller = Principal {
        user: identity.user.clone(),
        groups: with_authenticated(identity.groups.clone()),
        grants: Grants::AllExcept(identity.deny.clone()),
    };
    let as_user = headers
        .get("impersonate-user")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let as_groups: Vec<String> = headers
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect();
    if as_user.is_none() && as_groups.is_empty() {
        return Ok(Some(caller));
    }
    if !identity.is_master() {
        let (target, resource) = match &as_user {
            Some(u) => (format!("users \"{u}\""), "users"),
            None => (format!("groups \"{}\"", as_groups[0]), "groups"),
        };
        return Err(AuthError::CannotImpersonate {
            caller: caller.user,
            target,
            resource,
        });
    }
    let Some(user) = as_user else {
        // Kubernetes requires a user when groups are impersonated.
        return Err(AuthError::CannotImpersonate {
            caller: caller.user,
            target: format!("groups \"{}\"", as_groups[0]),
            resource: "groups",
        });
    };
    let known = identities.iter().find(|i| i.user == user);
    let groups = match (as_groups.is_empty(), known) {
        (true, Some(k)) => k.groups.clone(),
        _ => as_groups,
    };
    let grants = match known {
        Some(k) => Grants::AllExcept(k.deny.clone()),
        None if groups.iter().any(|g| g == MASTERS_GROUP) => Grants::AllExcept(Vec::new()),
        None => Grants::Nothing,
    };
    Ok(Some(Principal {
        user,
        groups: with_authenticated(groups),
        grants,
    }))
}

impl Principal {
    /// Whether the principal may `verb` resource `group`/`plural`, in `namespace` (`None`: at the
    /// cluster scope). `namespaced` tells whether the resource lives in namespaces.
    pub fn allowed(
        &self,
        group: &str,
        plural: &str,
        namespaced: bool,
        namespace: Option<&str>,
    ) -> bool {
        let deny = match &self.grants {
            Grants::Nothing => return false,
            Grants::AllExcept(deny) => deny,
        };
        let qualified = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        if deny
            .iter()
            .any(|d| *d == plural || *d == qualified || d == "*")
        {
            return false;
        }
        if namespaced {
            let denied_ns = |ns: &str| deny.iter().any(|d| d.strip_prefix("ns:") == Some(ns));
            match namespace {
                Some(ns) if !ns.is_empty() => !denied_ns(ns),
                // A cluster-wide read of a namespaced resource needs every namespace.
                _ => !deny.iter().any(|d| d.starts_with("ns:")),
            }
        } else {
            true
        }
    }

    /// `status` of a SelfSubjectRulesReview in `namespace`: `*` verbs on every resource the principal
    /// may use there, as explicit resource lists per group.
    pub fn rules(&self, store: &Store, namespace: &str) -> Value {
        let review_rules = [
            json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                   "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
            json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
                   "resources": ["selfsubjectreviews"]}),
        ];
        let discovery = json!({"verbs": ["get"], "nonResourceURLs": [
            "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
            "/readyz", "/version", "/version/"]});
        let mut resource_rules: Vec<Value> = Vec::new();
        let mut non_resource_rules = vec![discovery];
        match &self.grants {
            Grants::AllExcept(deny) if deny.is_empty() => {
                resource_rules
                    .push(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}));
                non_resource_rules = vec![json!({"verbs": ["*"], "nonResourceURLs": ["*"]})];
            }
            Grants::AllExcept(_) => {
                for (group, _) in store.groups() {
                    let mut plurals: Vec<&str> = store
                        .resources
                        .iter()
                        .filter(|r| r.group == group)
                        .filter(|r| {
                            self.allowed(&r.group, &r.plural, r.namespaced, Some(namespace))
                        })
                        .map(|r| r.plural.as_str())
                        .collect();
                    plurals.sort_unstable();
                    plurals.dedup();
                    if !plurals.is_empty() {
                        resource_rules.push(
                            json!({"verbs": ["*"], "apiGroups": [group], "resources": plurals}),
                        );
                    }
                }
            }
            Grants::Nothing => {}
        }
        resource_rules.extend(review_rules);
        json!({"resourceRules": resource_rules, "nonResourceRules": non_resource_rules,
               "incomplete": false})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ids() -> Vec<IdentitySpec> {
        vec![
            IdentitySpec::admin(),
            crate::options::parse_identity("viewer:vt:user=alice,deny=secrets;ns:kube-system")
                .unwrap(),
        ]
    }

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn deny_lists() {
        let p = authenticate(&headers("vt"), &ids(), None).unwrap().unwrap();
        assert_eq!(p.user, "alice");
        assert_eq!(p.groups, ["system:authenticated"]);
        assert!(!p.allowed("", "secrets", true, Some("default")));
        assert!(p.allowed("", "pods", true, Some("default")));
        assert!(!p.allowed("", "pods", true, Some("kube-system")));
        assert!(!p.allowed("", "pods", true, None));
        assert!(p.allowed("", "nodes", false, None));
    }

    #[test]
    fn impersonation_needs_masters() {
        let mut h = headers("admin-token");
        h.insert("impersonate-user", HeaderValue::from_static("alice"));
        let p = authenticate(&h, &ids(), None).unwrap().unwrap();
        assert_eq!(p.user, "alice");
        assert!(!p.allowed("", "secrets", true, Some("a")));

        let mut h = headers("vt");
        h.insert("impersonate-user", HeaderValue::from_static("admin"));
        assert!(matches!(
            authenticate(&h, &ids(), None),
            Err(AuthError::CannotImpersonate { .. })
        ));

        let mut h = headers("admin-token");
        h.insert("impersonate-user", HeaderValue::from_static("stranger"));
        let p = authenticate(&h, &ids(), None).unwrap().unwrap();
        assert_eq!(p.grants, Grants::Nothing);
    }

    #[test]
    fn bad_token() {
        assert!(matches!(
            authenticate(&headers("nope"), &ids(), None),
            Err(AuthError::Unauthorized)
        ));
        assert!(
            authenticate(&HeaderMap::new(), &ids(), None)
                .unwrap()
                .is_none()
        );
        let ids = ids();
        let p = authenticate(&HeaderMap::new(), &ids, Some(&ids[1]))
            .unwrap()
            .unwrap();
        assert_eq!(p.user, "alice");
    }
}
