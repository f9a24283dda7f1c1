package audit

import "context"

// Origin says who is behind a request and where it came in: what an audit
// entry records of the caller. Surfaces put it in the request's context;
// [Log.Record] fills an entry's empty fields from it.
type Origin struct {
	Actor      string
	OnBehalfOf string
	Surface    Surface
	RequestID  string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the Origin WithOrigin stored, or the zero Origin.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// fill completes e's caller fields from ctx's origin; fields already set
// win, and an entry without a surface is the system's.
func fill(ctx context.Context, e Entry) Entry {
	o := OriginFrom(ctx)
	if e.Actor == "" {
		e.Actor = o.Actor
	}
	if e.OnBehalfOf == "" {
		e.OnBehalfOf = o.OnBehalfOf
	}
	if e.Surface == "" {
		e.Surface = o.Surface
	}
	if e.Surface == "" {
		e.Surface = SurfaceSystem
	}
	if e.RequestID == "" {
		e.RequestID = o.RequestID
	}
	return e
}
