package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileState keeps a witness's state in one JSON file, written anew (to a
// temporary file, synced, then renamed over it) on every Put. One witness
// process uses a file at a time.
type FileState struct {
	path string
	mu   sync.Mutex
	logs map[string]string
}

// stateFile is the file's content.
type stateFile struct {
	// Logs maps each log's origin to the latest checkpoint cosigned.
	Logs map[string]string `json:"Logs"`
}

// OpenFileState reads the state kept in path, or starts an empty one
// there (the directory must exist).
func OpenFileState(path string) (*FileState, error) {
	s := &FileState{path: path, logs: map[string]string{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("witness: state %s unreadable: %v", path, err)
	}
	if f.Logs != nil {
		s.logs = f.Logs
	}
	return s, nil
}

// Latest implements State.
func (s *FileState) Latest(origin string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs[origin], nil
}

// Put implements State.
func (s *FileState) Put(origin, checkpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logs := make(map[string]string, len(s.logs)+1)
	for k, v := range s.logs {
		logs[k] = v
	}
	logs[origin] = checkpoint
	b, err := json.MarshalIndent(stateFile{Logs: logs}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		d.Sync()
		d.Close()
	}
	s.logs = logs
	return nil
}

// MemState keeps a witness's state in memory (tests).
type MemState struct {
	mu   sync.Mutex
	logs map[string]string
}

// Latest implements State.
func (s *MemState) Latest(origin string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs[origin], nil
}

// Put implements State.
func (s *MemState) Put(origin, checkpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == nil {
		s.logs = map[string]string{}
	}
	s.logs[origin] = checkpoint
	return nil
}
