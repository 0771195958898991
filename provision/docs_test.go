package provision

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The documentation's examples are real files.
func TestDocExamplesDecode(t *testing.T) {
	blocks := regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllStringSubmatch(readDoc(t), -1)
	if len(blocks) == 0 {
		t.Fatal("no toml examples in the documentation")
	}
	example := blocks[len(blocks)-1][1]
	cfg, err := Decode("example.toml", []byte(example))
	if err != nil {
		t.Fatalf("documented example: %v", err)
	}
	if len(cfg.Locations) != 1 || len(cfg.Groups) != 1 || len(cfg.Lines) != 1 {
		t.Errorf("documented example gives %+v", cfg)
	}
}

// Every key of the schema has a row in the documentation, under the section of its table.
func TestDocCoversSchema(t *testing.T) {
	doc := readDoc(t)
	var check func(section string, s *schema)
	check = func(section string, s *schema) {
		if s.shape == shapeTables {
			s = s.elem
		}
		head := "## `[" + section + "]`"
		if strings.Contains(section, "feature_code") || !strings.Contains(section, ".") {
			head = "## `[[" + section + "]]`"
		}
		start := strings.Index(doc, head)
		if start < 0 {
			t.Errorf("no section %s", head)
			return
		}
		body := doc[start+len(head):]
		if end := strings.Index(body, "\n## "); end >= 0 {
			body = body[:end]
		}
		for name, f := range s.fields {
			if f.shape == shapeTable || f.shape == shapeTables {
				check(section+"."+name, f)
				continue
			}
			if !strings.Contains(body, "| `"+name+"` |") {
				t.Errorf("section %s does not document key %q", head, name)
			}
		}
	}
	for name, f := range rootSchema.fields {
		check(name, f)
	}
}
