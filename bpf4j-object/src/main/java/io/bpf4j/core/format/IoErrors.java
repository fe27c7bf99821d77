package io.bpf4j.core.format;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Why a file operation failed, in words: {@code java.nio.file} reports a missing file as a
 * {@link NoSuchFileException} whose message is only the path, so "cannot read X: " + its message says nothing.
 * {@link #reason} says "no such file or directory", "permission denied", "not a directory", "is a directory",
 * "no space left on device"…, as strerror(3) does, in lower case to follow a colon.
 */
public final class IoErrors {
    private IoErrors() {
    }

    /** Why {@code e} happened, without the path: "no such file or directory", "permission denied"… */
    public static String reason(IOException e) {
        String r = switch (e) {
            case NoSuchFileException x -> "no such file or directory";
            case AccessDeniedException x -> "permission denied" + (isRoot() ? "" : " (run as root)");
            case NotDirectoryException x -> "not a directory";
            case FileAlreadyExistsException x -> "already exists";
            case DirectoryNotEmptyException x -> "directory not empty";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            case FileSystemException f -> "failed";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return lowerFirst(r);
    }

    /**
     * {@code e} as "PATH: reason" for a file-system error that names its file (and the other file, for a copy or
     * a move), else its {@link #reason}.
     */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + reason(e);
        }
        return reason(e);
    }

    /** As {@link #describe(IOException)}, naming {@code path} when {@code e} names no file. */
    public static String describe(IOException e, java.nio.file.Path path) {
        if (e instanceof FileSystemException f && f.getFile() != null) return describe(e);
        return path + ": " + reason(e);
    }

    private static String lowerFirst(String s) {
        // "Is a directory" → "is a directory"; leave acronyms ("EPERM …", "BTF …") as they are
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
