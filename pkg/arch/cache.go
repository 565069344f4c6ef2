package arch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// ModelTTL is how long an assembled model is reused. Reading the model takes about fifteen
// requests; people run explain, view and explain TOPIC in quick succession while exploring,
// and a few seconds' staleness of health and leaders is worth answering at once. --refresh
// always reads again, and the output says when the facts were read.
const ModelTTL = 30 * time.Second

// modelCachePath is per cluster and per identity, so one user's view is never shown for
// another context or an impersonated user. Without a cache directory there is no path.
func modelCachePath(dir string, cfg *rest.Config, where string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	for _, s := range []string{cfg.Host, where, cfg.Username, cfg.BearerToken, cfg.BearerTokenFile, cfg.CertFile,
		string(cfg.CertData), cfg.Impersonate.UserName, cfg.Impersonate.UID, strings.Join(cfg.Impersonate.Groups, ",")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return filepath.Join(dir, "kubectl-arch", hex.EncodeToString(h.Sum(nil))[:32]+".json")
}

type cachedModel struct {
	ReadAt time.Time `json:"readAt"`
	Model  *Model    `json:"model"`
}

func readModelCache(path string, now time.Time) *Model {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var c cachedModel
	if json.Unmarshal(b, &c) != nil || c.Model == nil || now.Sub(c.ReadAt) > ModelTTL || now.Before(c.ReadAt) {
		return nil
	}
	c.Model.ReadAt = c.ReadAt.UTC().Format(time.RFC3339)
	return c.Model
}

// writeModelCache is best effort: a read-only home only costs speed.
func writeModelCache(path string, m *Model, now time.Time) {
	if path == "" {
		return
	}
	b, err := json.Marshal(cachedModel{ReadAt: now, Model: m})
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(path), 0o750) != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}
