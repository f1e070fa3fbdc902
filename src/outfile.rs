//! Safe output files: how every command that writes outside the ledger (`backup`, `archive`,
//! `restore`, `export`) puts its file or folder in place. What goes into them is the commands' business.
//!
//! The rule, in two steps. First [`check`] the target: never the ledger itself (compared by resolved
//! path and by device and inode, so a symlink, a hard link or `../dir/./ledger` is seen), never an
//! existing file unless `--force`, and a dangling symlink is named as what it is. Then write
//! everything under a temporary name beside the target (same folder, so the rename stays on one file
//! system), fsync it, rename it into place and fsync the folder. A command that fails removes its
//! temporary file; one killed at any moment leaves the target as it was (absent, or the old file)
//! or complete. A kill can leave the temporary file behind: a hidden `.NAME.XXXXXX.taizhang-tmp`
//! beside the target, safe to delete.
//!
//! Permissions: the ledger copies (backup, archive, restored ledger) are 0600 whatever the umask;
//! export files are at most 0644 and the export folder 0755 (the umask may take more away), never
//! group- or world-writable.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::{Builder, TempDir, TempPath};

/// The suffix of every temporary name, so that a leftover is recognised as ours.
const TEMP_SUFFIX: &str = ".taizhang-tmp";
/// Mode of the ledger copies: the whole ledger is private.
const PRIVATE_MODE: u32 = 0o600;
/// Mode of an export file and of the export folder before the umask: readable, never writable by
/// others (the year-end tables are made to be handed on).
const SHARED_FILE_MODE: u32 = 0o644;
const SHARED_FOLDER_MODE: u32 = 0o755;

/// What the target must be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    File,
    Folder,
}

/// What to do when the target exists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse, and say that `--force` replaces it.
    Refuse,
    /// `--force` was given: replace it (never the ledger).
    Replace,
    /// The command never replaces anything (`restore`).
    Never,
}

impl Existing {
    pub fn forced(force: bool) -> Existing {
        if force {
            Existing::Replace
        } else {
            Existing::Refuse
        }
    }
}

/// A checked place to write.
pub struct Target {
    path: PathBuf,
    /// The folder the target is in: where the temporary file goes, and what is fsynced.
    folder: PathBuf,
    /// Something is there and is to be replaced.
    replace: bool,
}

impl Target {
    /// Whether an existing target will be replaced.
    pub fn replaces(&self) -> bool {
        self.replace
    }
}

/// Checks a target before anything is written: see the module documentation.
pub fn check(
    path: &Path,
    shape: Shape,
    ledger: Option<&Path>,
    existing: Existing,
) -> anyhow::Result<Target> {
    let shown = path.display();
    if path.file_name().is_none() {
        anyhow::bail!(
            "“{shown}”没有{}名：请给出要新建的{}的路径",
            shape.word(),
            shape.word()
        );
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => anyhow::bail!("{} 不是文件夹，不能在其中写 {shown}", folder.display()),
        // A missing folder is made when the file is written (`备份/2022年末.ledger`).
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => anyhow::bail!("不能写 {shown}：文件夹 {} {}", folder.display(), words(&e)),
    }
    if let Some(ledger) = ledger {
        refuse_the_ledger(path, shape, ledger)?;
    }
    let replace = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => anyhow::bail!("不能写 {shown}：{}", words(&e)),
        Ok(meta) => {
            refuse_what_is_there(path, shape, &meta, existing)?;
            true
        }
    };
    Ok(Target {
        path: path.to_path_buf(),
        folder,
        replace,
    })
}

impl Shape {
    fn word(self) -> &'static str {
        match self {
            Shape::File => "文件",
            Shape::Folder => "文件夹",
        }
    }
}

/// The ledger is never a target, nor (for a folder, which `--force` replaces whole) inside one.
fn refuse_the_ledger(path: &Path, shape: Shape, ledger: &Path) -> anyhow::Result<()> {
    if same_file(path, ledger) {
        anyhow::bail!(
            "{} 就是台账文件 {} 本身：不能写到它上面（--force 也不行）",
            path.display(),
            ledger.display()
        );
    }
    let inside = match (fs::canonicalize(path), fs::canonicalize(ledger)) {
        (Ok(folder), Ok(ledger)) => shape == Shape::Folder && ledger.starts_with(folder),
        _ => false,
    };
    if inside {
        anyhow::bail!(
            "台账文件 {} 在文件夹 {} 里：不能替换这个文件夹",
            ledger.display(),
            path.display()
        );
    }
    Ok(())
}

/// Whether two paths name one file: the same device and inode (a hard link, a symlink, any spelling
/// of the path), or failing that the same resolved path.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (fs::metadata(a), fs::metadata(b)) {
            if x.dev() == y.dev() && x.ino() == y.ino() {
                return true;
            }
        }
    }
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// Something is at the target (`meta` is of the name itself, not what a symlink points to).
fn refuse_what_is_there(
    path: &Path,
    shape: Shape,
    meta: &fs::Metadata,
    existing: Existing,
) -> anyhow::Result<()> {
    let shown = path.display();
    if meta.file_type().is_symlink() {
        if let Err(e) = fs::metadata(path) {
            let points_to = fs::read_link(path)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let hint = match existing {
                Existing::Replace => return Ok(()),
                Existing::Refuse => {
                    "要把这个链接换成新文件请加 --force；要写到它指向的地方，请直接给出那个路径"
                }
                Existing::Never => "请直接给出它应指向的路径，或先删除这个链接",
            };
            anyhow::bail!(
                "{shown} 是一个符号链接，指向的 {points_to} {}：{hint}",
                words(&e)
            );
        }
    }
    let meta = fs::metadata(path).map_err(|e| anyhow::anyhow!("不能写 {shown}：{}", words(&e)))?;
    match shape {
        Shape::File if meta.is_dir() => anyhow::bail!("{shown} 是文件夹，不是文件"),
        Shape::File if !meta.is_file() => {
            anyhow::bail!("{shown} 不是普通文件（设备、管道或套接字），不写入")
        }
        Shape::Folder if !meta.is_dir() => anyhow::bail!("{shown} 已存在，且不是文件夹"),
        _ => {}
    }
    match existing {
        Existing::Replace => Ok(()),
        Existing::Refuse => anyhow::bail!(
            "{shown} 已存在：不覆盖。要整个换成新的{}，请加 --force",
            shape.word()
        ),
        Existing::Never => anyhow::bail!(
            "{shown} 已存在：restore 只新建台账，从不覆盖已有的文件；请用 --ledger 给出一个新路径"
        ),
    }
}

/// Writes a private file (mode 0600): `fill` writes the content, and the file takes the target's
/// place only once it is complete and on disk.
pub fn write_private<T>(
    target: &Target,
    fill: impl FnOnce(&mut BufWriter<&File>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    make_folder(&target.folder)?;
    let temp = temp_name(&temp_prefix(target))
        .tempfile_in(&target.folder)
        .map_err(|e| failed("建立临时文件于", &target.folder, &e))?;
    make_private(temp.path())?;
    let mut writer = BufWriter::new(temp.as_file());
    let value = fill(&mut writer)?;
    writer.flush().map_err(|e| failed("写", &target.path, &e))?;
    drop(writer);
    temp.as_file()
        .sync_all()
        .map_err(|e| failed("写", &target.path, &e))?;
    place(temp.into_temp_path(), target)?;
    Ok(value)
}

/// Builds a ledger at a temporary path beside the target (`build` creates it and commits durably),
/// then renames it into place: a killed `restore` leaves no ledger that looks whole but is not.
pub fn write_ledger<T>(
    target: &Target,
    build: impl FnOnce(&Path) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    make_folder(&target.folder)?;
    // The name only: the store creates the file itself (and refuses one that exists).
    let temp = temp_name(&temp_prefix(target))
        .make_in(&target.folder, |_| Ok(()))
        .map_err(|e| failed("建立临时文件于", &target.folder, &e))?
        .into_temp_path();
    // The store names the file it was given; the user knows only the target's name.
    let value = build(&temp).map_err(|e| {
        let shown = temp.display().to_string();
        anyhow::anyhow!(
            "{}",
            format!("{e:#}").replace(&shown, &target.path.display().to_string())
        )
    })?;
    make_private(&temp)?;
    place(temp, target)?;
    Ok(value)
}

/// A folder being filled under its temporary name.
pub struct Staging<'a> {
    path: &'a Path,
    /// The target, to name in messages (the temporary name means nothing to the user).
    target: &'a Path,
}

impl Staging<'_> {
    /// Writes one file of the folder (mode 0644 at most) and puts it on disk. A name with a folder
    /// (`附件/3-合同.pdf`) makes that folder first (0755 at most), and puts the file's name in it on
    /// disk too.
    pub fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path.join(name);
        let subfolder = path.parent().filter(|p| *p != self.path);
        if let Some(folder) = subfolder.filter(|f| !f.exists()) {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, SHARED_FOLDER_MODE);
            builder
                .create(folder)
                .map_err(|e| failed("建立文件夹", &self.target.join(name), &e))?;
        }
        self.write_file(&path, name, bytes)?;
        match subfolder {
            Some(folder) => sync_folder(folder),
            None => Ok(()),
        }
    }

    fn write_file(&self, path: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, SHARED_FILE_MODE);
        let written = options.open(path).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        written.map_err(|e| failed("写", &self.target.join(name), &e))
    }
}

/// Writes a folder: `fill` writes its files into a temporary folder beside the target, which then
/// takes the target's place whole. With `--force` the old folder and the new one are exchanged in
/// one step and the old one removed, so that no stale file survives and a kill leaves one or the other.
pub fn write_folder<T>(
    target: &Target,
    fill: impl FnOnce(&Staging) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    make_folder(&target.folder)?;
    let prefix = temp_prefix(target);
    let mut builder = temp_name(&prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(
        SHARED_FOLDER_MODE,
    ));
    let staging = builder
        .tempdir_in(&target.folder)
        .map_err(|e| failed("建立临时文件夹于", &target.folder, &e))?;
    let value = fill(&Staging {
        path: staging.path(),
        target: &target.path,
    })?;
    sync_folder(staging.path())?;
    if target.replace {
        // After the exchange the temporary name holds the old folder; dropping `staging` removes it.
        exchange(staging.path(), &target.path)?;
        sync_folder(&target.folder)?;
        drop(staging);
    } else {
        rename_new(staging.path(), &target.path)?;
        keep(staging);
        sync_folder(&target.folder)?;
    }
    Ok(value)
}

/// Makes the target's folder and any missing above it, each made durable in its parent.
fn make_folder(folder: &Path) -> anyhow::Result<()> {
    let missing: Vec<&Path> = folder.ancestors().take_while(|p| !p.exists()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(folder).map_err(|e| failed("建立文件夹", folder, &e))?;
    for made in missing.iter().rev() {
        match made.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => sync_folder(parent)?,
            _ => sync_folder(Path::new("."))?,
        }
    }
    Ok(())
}

fn keep(dir: TempDir) {
    let _ = dir.keep();
}

/// The prefix of the target's temporary names: `.NAME.`, then random letters and [`TEMP_SUFFIX`],
/// so that a leftover says whose it is.
fn temp_prefix(target: &Target) -> String {
    let name = target.path.file_name().unwrap_or_default();
    format!(".{}.", name.to_string_lossy())
}

fn temp_name(prefix: &str) -> Builder<'_, 'static> {
    let mut builder = Builder::new();
    builder.prefix(prefix).suffix(TEMP_SUFFIX);
    builder
}

fn make_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, Permissions::from_mode(PRIVATE_MODE))
            .map_err(|e| failed("设置权限", path, &e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, PRIVATE_MODE);
    Ok(())
}

/// Renames a complete temporary file to the target: over it with `--force`, else only if the name
/// is still free (another program may have taken it since the check).
fn place(temp: TempPath, target: &Target) -> anyhow::Result<()> {
    let placed = if target.replace {
        temp.persist(&target.path)
    } else {
        temp.persist_noclobber(&target.path)
    };
    // On failure the error holds the temporary path, and dropping it removes the file.
    placed.map_err(|e| failed("写", &target.path, &e.error))?;
    sync_folder(&target.folder)
}

/// Makes a folder's entries (a new or renamed name) durable.
fn sync_folder(folder: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| failed("写入磁盘：文件夹", folder, &e))?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}

/// Renames a new folder to a name that must still be free.
fn rename_new(from: &Path, to: &Path) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // A file system without the flag: fall back to check-then-rename below.
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(e) => return Err(failed("写", to, &e.into())),
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(failed("写", to, &io::ErrorKind::AlreadyExists.into()));
    }
    fs::rename(from, to).map_err(|e| failed("写", to, &e))
}

/// Exchanges two folders in one step where the system can (Linux); elsewhere the old one is moved
/// aside first, so a kill between the two renames leaves it under the temporary name + `-old`.
fn exchange(new: &Path, old: &Path) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, new, CWD, old, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(e) => return Err(failed("替换", old, &e.into())),
        }
    }
    let aside = PathBuf::from(format!("{}-old", new.display()));
    fs::rename(old, &aside).map_err(|e| failed("替换", old, &e))?;
    fs::rename(new, old).map_err(|e| failed("替换", old, &e))?;
    // `new` is now free: the old folder goes back under it, for the caller to remove.
    fs::rename(&aside, new).map_err(|e| failed("移走旧文件夹", &aside, &e))
}

/// "写 PATH 失败：磁盘已满".
fn failed(what: &str, path: &Path, e: &io::Error) -> anyhow::Error {
    anyhow::anyhow!("{what} {} 失败：{}", path.display(), words(e))
}

/// An OS error in words, as the accountant reads them (the OS's English text only as a last resort).
pub fn words(e: &io::Error) -> String {
    // The numbers are Linux's errno values; elsewhere only the kinds below are told.
    let errno = if cfg!(target_os = "linux") {
        e.raw_os_error()
    } else {
        None
    };
    let said = match errno {
        Some(2) => "不存在",
        Some(13) | Some(1) => "没有权限",
        Some(17) => "已存在",
        Some(20) => "路径中有一段不是文件夹",
        Some(21) => "是文件夹",
        Some(27) => "超过了允许的文件大小",
        Some(28) => "磁盘已满",
        Some(30) => "在只读的文件系统上",
        Some(36) => "名字太长",
        Some(40) => "符号链接绕成了圈",
        Some(122) => "超出了磁盘配额",
        _ => "",
    };
    if !said.is_empty() {
        return said.to_string();
    }
    match e.kind() {
        io::ErrorKind::NotFound => "不存在".to_string(),
        io::ErrorKind::PermissionDenied => "没有权限".to_string(),
        io::ErrorKind::AlreadyExists => "已存在".to_string(),
        _ => format!("系统报告：{e}"),
    }
}
