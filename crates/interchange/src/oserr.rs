//! Operating-system errors in words: "没有这个文件", not "No such file or directory (os error 2)".
//!
//! Every message that names a file it could not read or write says why with [`describe`]; other
//! crates and the CLI use it too. An error of the program's own making (the encoding check's
//! `NotText`, say) already speaks Chinese and is passed through.

use std::io::{self, ErrorKind};

/// Why a read or write failed, in words a user can act on.
pub fn describe(error: &io::Error) -> String {
    if let Some(words) = by_kind(error.kind()) {
        return words.to_string();
    }
    if let Some(words) = error.raw_os_error().and_then(by_errno) {
        return words.to_string();
    }
    match (error.raw_os_error(), error.get_ref()) {
        (Some(code), _) => format!("系统错误（错误码 {code}）"),
        // Our own errors (an encoding check, say) are already in Chinese.
        (None, Some(inner)) => inner.to_string(),
        (None, None) => "读写失败".to_string(),
    }
}

fn by_kind(kind: ErrorKind) -> Option<&'static str> {
    Some(match kind {
        ErrorKind::NotFound => "没有这个文件或文件夹",
        ErrorKind::PermissionDenied => "没有权限",
        ErrorKind::AlreadyExists => "已存在",
        ErrorKind::IsADirectory => "是一个文件夹，不是文件",
        ErrorKind::NotADirectory => "路径中有一级不是文件夹",
        ErrorKind::StorageFull => "磁盘已满",
        ErrorKind::QuotaExceeded => "超出磁盘配额",
        ErrorKind::ReadOnlyFilesystem => "只读文件系统",
        ErrorKind::FileTooLarge => "文件大小超出限制（ulimit -f）",
        ErrorKind::ResourceBusy => "文件或设备正忙",
        ErrorKind::Interrupted => "读写被中断",
        ErrorKind::UnexpectedEof => "文件意外结束",
        ErrorKind::OutOfMemory => "内存不足",
        ErrorKind::TooManyLinks => "链接过多",
        ErrorKind::CrossesDevices => "不能跨文件系统移动",
        ErrorKind::DirectoryNotEmpty => "文件夹不是空的",
        ErrorKind::StaleNetworkFileHandle => "网络文件已失效",
        _ => return None,
    })
}

/// Errors `ErrorKind` does not name, by their Linux number.
fn by_errno(code: i32) -> Option<&'static str> {
    Some(match code {
        5 => "输入输出错误（磁盘或网络故障？）",
        6 => "设备不存在",
        19 => "设备不存在",
        23 | 24 => "打开的文件过多",
        36 => "文件名过长",
        40 => "符号链接循环",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_errors_are_in_words() {
        let of = |code| describe(&io::Error::from_raw_os_error(code));
        assert_eq!(of(2), "没有这个文件或文件夹");
        assert_eq!(of(13), "没有权限");
        assert_eq!(of(21), "是一个文件夹，不是文件");
        assert_eq!(of(28), "磁盘已满");
        assert_eq!(of(30), "只读文件系统");
        assert_eq!(of(27), "文件大小超出限制（ulimit -f）");
        assert_eq!(of(17), "已存在");
        assert_eq!(of(5), "输入输出错误（磁盘或网络故障？）");
        assert_eq!(of(9999), "系统错误（错误码 9999）");
    }
}
