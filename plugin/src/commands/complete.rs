//! `kubectl-coder_sec __complete WORDS...`: shell completion for `kubectl coder-sec`, in the format
//! kubectl (1.26 and later) expects from a `kubectl_complete-coder_sec` executable on `PATH`: one
//! candidate per line (`value<TAB>description`), then `:<directive>` (4: no file completion, 0: the
//! shell's default, files).

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::env::Env;

/// Cobra's "no file completion" directive.
const NO_FILES: u8 = 4;
/// Cobra's default directive: the shell completes file names.
const FILES: u8 = 0;

/// Prints the candidates for `words` (the words after `coder-sec`, the last one being completed).
pub fn exec(words: &[String]) -> anyhow::Result<ExitCode> {
    let (candidates, directive) = complete(words, &Env::from_process());
    let mut out = std::io::stdout().lock();
    for (value, help) in candidates {
        if help.is_empty() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{value}\t{help}")?;
        }
    }
    writeln!(out, ":{directive}")?;
    Ok(ExitCode::SUCCESS)
}

/// The candidates and directive for `words`.
pub fn complete(words: &[String], env: &Env) -> (Vec<(String, String)>, u8) {
    let command = Cli::command();
    let current = words.last().map(String::as_str).unwrap_or("");
    let before = &words[..words.len().saturating_sub(1)];
    let prefixed = |items: Vec<(String, String)>| -> Vec<(String, String)> {
        items
            .into_iter()
            .filter(|(v, _)| v.starts_with(current))
            .collect()
    };
    let Some(sub_name) = before.first() else {
        let subs = command
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| (s.get_name().to_string(), about(s.get_about())))
            .collect();
        return (prefixed(subs), NO_FILES);
    };
    let Some(sub) = command.find_subcommand(sub_name) else {
        return (Vec::new(), NO_FILES);
    };
    if let Some(previous) = before.last().filter(|_| before.len() > 1) {
        match previous.as_str() {
            "--context" => return (prefixed(kubeconfig_names(env, Names::Contexts)), NO_FILES),
            "--cluster" => return (prefixed(kubeconfig_names(env, Names::Clusters)), NO_FILES),
            "--user" => return (prefixed(kubeconfig_names(env, Names::Users)), NO_FILES),
            _ => {}
        }
        let takes_value = sub.get_arguments().find(|a| {
            a.get_action().takes_values()
                && (a.get_long().is_some_and(|l| previous == &format!("--{l}"))
                    || a.get_short().is_some_and(|s| previous == &format!("-{s}")))
        });
        if let Some(arg) = takes_value {
            let is_path = arg
                .get_value_names()
                .is_some_and(|n| n.iter().any(|n| matches!(n.as_str(), "FILE" | "PATH")));
            return (Vec::new(), if is_path { FILES } else { NO_FILES });
        }
    }
    if current.starts_with('-') {
        let flags = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| Some((format!("--{}", a.get_long()?), about(a.get_help()))))
            .chain([("--help".to_string(), "Print help".to_string())])
            .collect();
        return (prefixed(flags), NO_FILES);
    }
    let takes_file = sub.get_arguments().any(|a| a.is_positional());
    (Vec::new(), if takes_file { FILES } else { NO_FILES })
}

fn about(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| {
        t.to_string()
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_string()
    })
    .unwrap_or_default()
}

enum Names {
    Contexts,
    Clusters,
    Users,
}

fn kubeconfig_names(env: &Env, which: Names) -> Vec<(String, String)> {
    let Ok(Some(kc)) = crate::settings::load_kubeconfig(None, env) else {
        return Vec::new();
    };
    match which {
        Names::Contexts => kc
            .contexts
            .into_iter()
            .map(|c| (c.name, String::new()))
            .collect(),
        Names::Clusters => kc
            .clusters
            .into_iter()
            .map(|c| (c.name, String::new()))
            .collect(),
        Names::Users => kc
            .auth_infos
            .into_iter()
            .map(|u| (u.name, String::new()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    fn values(w: &[&str], env: &Env) -> (Vec<String>, u8) {
        let (c, d) = complete(&words(w), env);
        (c.into_iter().map(|(v, _)| v).collect(), d)
    }

    #[test]
    fn subcommands_flags_and_contexts() {
        let env = Env::default();
        let (subs, d) = values(&["ca"], &env);
        assert_eq!((subs, d), (vec!["capture".to_string()], NO_FILES));
        let (all, _) = values(&[""], &env);
        assert!(all.contains(&"scan".to_string()) && !all.iter().any(|s| s.starts_with("__")));
        let (flags, _) = values(&["capture", "--chunk"], &env);
        assert_eq!(flags, ["--chunk-size"]);
        assert_eq!(values(&["capture", "-o", ""], &env).1, FILES);
        assert_eq!(values(&["capture", "--concurrency", ""], &env).1, NO_FILES);
        assert_eq!(values(&["inspect", ""], &env).1, FILES);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\n- name: staging\n  context: {cluster: c, user: u}\nclusters: []\nusers: []\n",
        )
        .unwrap();
        let env = Env {
            kubeconfig: Some(path.into_os_string()),
            ..Env::default()
        };
        let (contexts, _) = values(&["capture", "--context", "p"], &env);
        assert_eq!(contexts, ["prod"]);
    }
}
