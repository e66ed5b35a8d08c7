package promstore

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
)

// scrapeTarget is a Target with its labels resolved and the memory a
// scrape needs for staleness. prev is touched only by the goroutine
// scraping this target, and rounds never overlap.
type scrapeTarget struct {
	url    string
	labels labels.Labels // job, instance and the extra labels, sorted
	// prev maps each series exposed by the last scrape (its raw text, e.g.
	// `http_requests_total{code="200"}`) to the labels it was stored under,
	// so a series that disappears can be given a stale marker.
	prev map[string]labels.Labels
}

func newScrapeTargets(ts []Target) ([]*scrapeTarget, error) {
	out := make([]*scrapeTarget, 0, len(ts))
	for i, t := range ts {
		st, err := newScrapeTarget(t)
		if err != nil {
			return nil, fmt.Errorf("target %d (%s): %w", i, t.URL, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func newScrapeTarget(t Target) (*scrapeTarget, error) {
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url scheme %q is not http or https", u.Scheme)
	}
	if t.Job == "" {
		return nil, errors.New("job is empty")
	}
	instance := t.Instance
	if instance == "" {
		// What Prometheus derives from __address__ for a static target.
		instance = u.Host
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for _, name := range slices.Sorted(maps.Keys(t.Labels)) {
		if !model.UTF8Validation.IsValidLabelName(name) || model.LabelName(name) == model.MetricNameLabel {
			return nil, fmt.Errorf("invalid target label name %q", name)
		}
		lb.Set(name, t.Labels[name])
	}
	lb.Set(model.JobLabel, t.Job)
	lb.Set(model.InstanceLabel, instance)
	return &scrapeTarget{url: t.URL, labels: lb.Labels()}, nil
}

// sampleLabels adds the target labels to an exposed series the way
// Prometheus does with honor_labels: false: the target wins, and a
// conflicting exposed label is kept as exported_<name>.
func (t *scrapeTarget) sampleLabels(exposed labels.Labels) labels.Labels {
	lb := labels.NewBuilder(exposed)
	var conflicts []labels.Label
	t.labels.Range(func(l labels.Label) {
		if v := exposed.Get(l.Name); v != "" {
			conflicts = append(conflicts, labels.Label{Name: l.Name, Value: v})
		}
		lb.Set(l.Name, l.Value)
	})
	slices.SortStableFunc(conflicts, func(a, b labels.Label) int { return len(a.Name) - len(b.Name) })
	for _, l := range conflicts {
		name := l.Name
		for {
			name = model.ExportedLabelPrefix + name
			if lb.Get(name) == "" {
				lb.Set(name, l.Value)
				break
			}
		}
	}
	return lb.Labels()
}

// reportLabels names a synthetic per-scrape series such as `up`.
func (t *scrapeTarget) reportLabels(name string) labels.Labels {
	return labels.NewBuilder(t.labels).Set(model.MetricNameLabel, name).Labels()
}
