//! `kubectl coder-sec completion bash|zsh|fish`: completion scripts for the binary called directly.
//! (`kubectl coder-sec …` completes through `kubectl_complete-coder_sec`, see `complete.rs`.)

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;

/// The shells `completion` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

impl Shell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// Writes the script for `shell` to `out`.
pub fn write_script(shell: Shell, out: &mut dyn Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell.generator(), &mut command, "kubectl-coder_sec", out);
}

/// Prints the script for `shell` on stdout.
pub fn exec(shell: Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    write_script(shell, &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_name_the_binary_and_its_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            write_script(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("kubectl-coder_sec"), "{shell:?}");
            assert!(
                text.contains("capture") && text.contains("--chunk-size"),
                "{shell:?}"
            );
        }
    }
}
