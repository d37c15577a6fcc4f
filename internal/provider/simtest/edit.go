package simtest

// EditFirst returns, for a request body held as a map, an editor of the
// first object of the list under key: editFirst(mut) edits body[key][0]
// with mut. Validation tables use it to break one field of the first
// signer.
func EditFirst(key string) func(mut func(map[string]any)) func(body map[string]any) {
	return func(mut func(map[string]any)) func(map[string]any) {
		return func(b map[string]any) { mut(b[key].([]any)[0].(map[string]any)) }
	}
}
