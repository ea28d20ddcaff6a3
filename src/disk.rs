//! The filesystem side: the disk as a [`Source`], and command-line paths -> a project.

use std::path::{Path, PathBuf};

use crate::files::Source;
use crate::paths;
use crate::project::Inputs;

/// The real filesystem under a root folder.
pub struct DiskSource {
    root: PathBuf,
    /// The root with every symlink resolved (the root itself if that fails).
    real_root: PathBuf,
}

impl DiskSource {
    pub fn new(root: &Path) -> DiskSource {
        DiskSource {
            root: root.to_path_buf(),
            real_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
        }
    }
}

impl Source for DiskSource {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.read_explained(path).ok()
    }

    fn relative(&self, abs: &Path) -> Option<String> {
        Some(paths::relative_to(&self.root, abs))
    }

    fn absolute(&self, path: &str) -> Option<PathBuf> {
        Some(paths::absolute(&self.root, path))
    }

    /// One `metadata` for both answers: a regular file is read; anything
    /// else is absent (a missing path) or says what it is, and is never
    /// opened (a FIFO would block the read).
    fn read_explained(&self, path: &str) -> Result<Vec<u8>, Option<String>> {
        use std::os::unix::fs::FileTypeExt;
        let abs = paths::absolute(&self.root, path);
        let meta = match std::fs::metadata(&abs) {
            Ok(meta) => meta,
            // ELOOP: too many levels of symbolic links.
            Err(e) if e.raw_os_error() == Some(40) => return Err(Some("a symlink loop".into())),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Some("permission denied (a folder on its path)".into()));
            }
            Err(_) => return Err(None),
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            // A folder is not a file: reading one looks like absence (an
            // import path tries `x` before `x.less`, and `x` may be a folder).
            return Err(None);
        }
        if !kind.is_file() {
            let what = if kind.is_fifo() {
                "a FIFO"
            } else if kind.is_socket() {
                "a socket"
            } else {
                "a device"
            };
            return Err(Some(format!("not a regular file ({what})")));
        }
        std::fs::read(&abs).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => Some("permission denied".into()),
            std::io::ErrorKind::NotFound => None, // gone since
            _ => Some(e.to_string()),
        })
    }

    fn real_path(&self, path: &str) -> Option<String> {
        Some(paths::relative_to(
            &self.real_root,
            &real_path(&paths::absolute(&self.root, path)),
        ))
    }
}

/// `abs` with every symlink resolved; for a path that does not exist, its
/// nearest existing ancestor resolved and the rest appended.
pub fn real_path(abs: &Path) -> PathBuf {
    let mut existing = abs.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out;
        }
        match existing.file_name() {
            Some(name) => rest.push(name.to_os_string()),
            None => return abs.to_path_buf(),
        }
        if !existing.pop() {
            return abs.to_path_buf();
        }
    }
}

/// Where a project is: its root folder and what to load from it.
#[derive(Debug, Clone)]
pub struct Located {
    pub root: PathBuf,
    pub inputs: Inputs,
    /// `--core`: a MediaWiki core folder, project-relative (overrides
    /// rldev.toml's `core`).
    pub core: Option<String>,
}

impl Located {
    /// Names MediaWiki core's folder (as given on the command line).
    pub fn set_core(&mut self, core: &Path) -> Result<(), String> {
        let abs = std::path::absolute(core).map_err(|e| format!("{}: {e}", core.display()))?;
        if !abs.is_dir() {
            return Err(format!("--core {}: no such folder", core.display()));
        }
        self.core = Some(paths::relative_to(&self.root, &abs));
        Ok(())
    }
}

/// Turns command-line paths (manifests, folders holding one, or an
/// `rldev.toml`) into a root and inputs. No path means `./rldev.toml`.
pub fn locate(args: &[PathBuf]) -> Result<Located, String> {
    if args.is_empty() {
        let here =
            std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
        // ./rldev.toml, else the extension or skin of this folder (zero config).
        if here.join("rldev.toml").is_file() {
            return locate(&[here.join("rldev.toml")]);
        }
        if ["extension.json", "skin.json"]
            .iter()
            .any(|m| here.join(m).is_file())
        {
            return locate(&[here]);
        }
        return Err(
            "no rldev.toml, extension.json or skin.json in this folder: give a manifest, \
             a folder holding one, or an rldev.toml"
                .into(),
        );
    }
    let mut configs = Vec::new();
    let mut manifests = Vec::new();
    for arg in args {
        let abs = std::path::absolute(arg).map_err(|e| format!("{}: {e}", arg.display()))?;
        if abs.is_dir() {
            if abs.join("rldev.toml").is_file() {
                configs.push(abs.join("rldev.toml"));
            } else if let Some(m) = ["extension.json", "skin.json"]
                .iter()
                .map(|n| abs.join(n))
                .find(|p| p.is_file())
            {
                manifests.push(m);
            } else {
                return Err(format!(
                    "{}: no rldev.toml, extension.json or skin.json in this folder",
                    arg.display()
                ));
            }
        } else if abs.is_file() {
            if abs.file_name().is_some_and(|n| n == "rldev.toml")
                || abs.extension().is_some_and(|e| e == "toml")
            {
                configs.push(abs);
            } else {
                manifests.push(abs);
            }
        } else {
            return Err(format!("{}: no such file or folder", arg.display()));
        }
    }
    match (configs.as_slice(), manifests.as_slice()) {
        ([config], []) => {
            let root = config.parent().expect("a file has a folder").to_path_buf();
            let rel = paths::relative_to(&root, config);
            Ok(Located {
                root,
                inputs: Inputs::Config(rel),
                core: None,
            })
        }
        ([], [_, ..]) => {
            let root = common_folder(&manifests);
            let rels = manifests
                .iter()
                .map(|m| paths::relative_to(&root, m))
                .collect();
            let core = manifests
                .iter()
                .find_map(|m| core_around(m))
                .map(|c| paths::relative_to(&root, &c));
            Ok(Located {
                root,
                inputs: Inputs::Manifests(rels),
                core,
            })
        }
        _ => Err("give either one rldev.toml or manifests, not both".into()),
    }
}

/// MediaWiki core, when the manifest sits where MediaWiki keeps them:
/// `<core>/extensions/X/extension.json` or `<core>/skins/X/skin.json` (any
/// folder name in the middle: Debian's tree has `extensions-core`), with
/// core's Less folder and `includes` there.
fn core_around(manifest: &Path) -> Option<PathBuf> {
    let core = manifest.parent()?.parent()?.parent()?;
    let is_core =
        core.join("resources/src/mediawiki.less").is_dir() && core.join("includes").is_dir();
    is_core.then(|| core.to_path_buf())
}

/// The deepest folder holding every given file.
fn common_folder(files: &[PathBuf]) -> PathBuf {
    let mut root: PathBuf = files[0].parent().unwrap_or(Path::new("/")).to_path_buf();
    for f in &files[1..] {
        while !f.starts_with(&root) {
            if !root.pop() {
                break;
            }
        }
    }
    root
}
