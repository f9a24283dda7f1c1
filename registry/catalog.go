package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Where a catalog entry comes from. An uploaded manifest replaces a folder's
// of the same app id, and a folder's replaces a built-in one.
const (
	SourceBuiltin  = "builtin"
	SourceFolder   = "folder"
	SourceUploaded = "uploaded"
)

// Entry is one deployable integration of the catalog.
type Entry struct {
	Manifest *Manifest
	Raw      json.RawMessage
	Source   string
	// Location is the manifest file of a folder entry.
	Location string
	Warnings []string
}

// LoadBuiltin reads every */manifest.json of fsys, the examples embedded in
// the binary. Any invalid manifest is an error.
func LoadBuiltin(fsys fs.FS) ([]Entry, error) {
	paths, err := fs.Glob(fsys, "*/manifest.json")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range paths {
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read built-in %s: %w", p, err)
		}
		e, err := newEntry(raw, SourceBuiltin, p)
		if err != nil {
			return nil, fmt.Errorf("built-in %s: %w", p, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// LoadFolders reads the integrations of each folder: the folder's own
// manifest.json, or else one manifest.json in each of its subfolders. Two
// manifests with one app id are an error naming both files, as is any
// invalid manifest.
func LoadFolders(dirs []string) ([]Entry, error) {
	var out []Entry
	byID := map[string]string{}
	for _, dir := range dirs {
		files, err := manifestFiles(dir)
		if err != nil {
			return nil, err
		}
		for _, file := range files {
			raw, err := readManifestFile(file)
			if err != nil {
				return nil, err
			}
			e, err := newEntry(raw, SourceFolder, file)
			if err != nil {
				return nil, fmt.Errorf("catalog %s: %w", file, err)
			}
			if other, dup := byID[e.Manifest.AppID]; dup {
				return nil, fmt.Errorf("catalog: app id %q is in both %s and %s",
					e.Manifest.AppID, other, file)
			}
			byID[e.Manifest.AppID] = file
			out = append(out, e)
		}
	}
	return out, nil
}

// readManifestFile reads a regular file of at most MaxManifestBytes: a
// FIFO or a device would block or never end.
func readManifestFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("catalog: %s is not a regular file", path)
	}
	if fi.Size() > MaxManifestBytes {
		return nil, fmt.Errorf("catalog: %s is larger than %d bytes", path, MaxManifestBytes)
	}
	raw, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return raw, nil
}

func manifestFiles(dir string) ([]string, error) {
	own := filepath.Join(dir, "manifest.json")
	if _, err := os.Stat(own); err == nil {
		return []string{own}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var files []string
	for _, de := range entries {
		if !de.IsDir() {
			continue
		}
		file := filepath.Join(dir, de.Name(), "manifest.json")
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		files = append(files, file)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("catalog: %s holds no manifest.json, nor any subfolder with one", dir)
	}
	slices.Sort(files)
	return files, nil
}

func newEntry(raw []byte, source, location string) (Entry, error) {
	m, warnings, err := Parse(raw)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Manifest: m, Raw: raw, Source: source, Location: location, Warnings: warnings}, nil
}
