package client

import (
	"context"
	"net/http"

	"github.com/signet-dev/signet/api"
)

// Token exchanges the API key for a short-lived bearer token pair (POST
// /auth/token).
func (c *Client) Token(ctx context.Context, opts ...CallOption) (*api.TokenPair, error) {
	return do[api.TokenPair](ctx, c, http.MethodPost, "/auth/token", nil, opts...)
}

// RefreshToken exchanges a refresh token for a new pair (POST
// /auth/refresh); the old refresh token stops working.
func (c *Client) RefreshToken(ctx context.Context, refreshToken string, opts ...CallOption) (*api.TokenPair, error) {
	return do[api.TokenPair](ctx, c, http.MethodPost, "/auth/refresh", api.RefreshRequest{RefreshToken: refreshToken}, opts...)
}

// Ping checks the credentials and answers the caller's tenant (GET
// /auth/ping).
func (c *Client) Ping(ctx context.Context) (*api.Ping, error) {
	return do[api.Ping](ctx, c, http.MethodGet, "/auth/ping", nil)
}
