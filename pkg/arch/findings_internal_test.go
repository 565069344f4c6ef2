package arch

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestServingCertificateFindings(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	cert := func(left time.Duration) []*x509.Certificate { return []*x509.Certificate{{NotAfter: now.Add(left)}} }
	if fs := servingCertFindings("https://10.0.0.1:6443", cert(365*24*time.Hour), now); len(fs) != 0 {
		t.Errorf("a certificate valid for a year is fine: %+v", fs)
	}
	fs := servingCertFindings("https://10.0.0.1:6443", cert(-time.Hour), now)
	if len(fs) != 1 || fs[0].Severity != SeverityError || fs[0].Reason != "CertificateExpired" || fs[0].Name != "10.0.0.1:6443" {
		t.Errorf("expired: %+v", fs)
	}
	fs = servingCertFindings("https://10.0.0.1:6443", cert(29*24*time.Hour), now)
	if len(fs) != 1 || fs[0].Severity != SeverityWarning || fs[0].Message != "the API server's serving certificate expires at 2026-12-21T04:00:00Z, in 29 days" {
		t.Errorf("expiring: %+v", fs)
	}
	if fs := servingCertFindings("https://10.0.0.1:6443", nil, now); len(fs) != 0 {
		t.Errorf("no handshake, no finding: %+v", fs)
	}
}
