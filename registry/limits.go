package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what a manifest and an input may hold. Compiling a JSON Schema
// grows fast with its nesting, and an installed manifest is compiled by
// every process that starts, so the bounds are tight enough that a manifest
// never costs more than milliseconds.
const (
	// MaxDepth bounds how deeply objects and arrays nest in a manifest and
	// in an action's input.
	MaxDepth = 32
	// MaxActions bounds how many actions one manifest declares.
	MaxActions = 256
	// maxNumberLen bounds the text of one number in an input.
	maxNumberLen = 64
)

// checkJSON refuses what no schema should have to judge: invalid UTF-8,
// nesting deeper than MaxDepth, a key given twice in one object, and
// numbers beyond float64. It reports the first problem with its JSON
// pointer.
func checkJSON(raw []byte) error {
	if !utf8.Valid(raw) {
		return errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return walkJSON(dec, nil, 0)
}

// walkJSON reads one value from dec; path is where it stands.
func walkJSON(dec *json.Decoder, path []string, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth+1 > MaxDepth {
			return fmt.Errorf("%s: nested deeper than %d levels", pointer(path), MaxDepth)
		}
		if t == '{' {
			return walkObject(dec, path, depth+1)
		}
		for i := 0; dec.More(); i++ {
			if err := walkJSON(dec, append(path, strconv.Itoa(i)), depth+1); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return syntaxError(err)
	case json.Number:
		return checkNumber(path, t)
	}
	return nil
}

func walkObject(dec *json.Decoder, path []string, depth int) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%s: key %q appears twice", pointer(path), key)
		}
		seen[key] = true
		if err := walkJSON(dec, append(path, key), depth); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return syntaxError(err)
}

func checkNumber(path []string, n json.Number) error {
	if len(n) > maxNumberLen {
		return fmt.Errorf("%s: a number of more than %d characters", pointer(path), maxNumberLen)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return fmt.Errorf("%s: %s is out of range", pointer(path), n)
	}
	return nil
}

func syntaxError(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}
