// A stand-in for kafka-auth-handler's AWS mode, for the endpoint benchmark only: this machine's Go
// module proxy does not serve github.com/martoc/kafka-auth-handler, so its request path is rebuilt
// here from its documented behaviour (shared/reference/provider-tokens.md §1.2, §1.4, §1.5): every
// request, on any path and method, calls aws-msk-iam-sasl-signer-go's GenerateAuthToken (which loads
// the AWS config and credential chain anew), wraps the token in its pseudo-JWT and answers 200 with
// compact JSON; a signer error is a 500 with an empty body. Listens on $PORT (default 14293).
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func main() {
	region := os.Getenv("REGION")
	if region == "" {
		log.Fatal("REGION environment variable is required for AWS provider")
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "14293"
	}
	// Counted for the benchmark (credential resolutions per 1000 requests); printed on SIGTERM.
	var fetches atomic.Int64
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	go func() {
		<-stop
		fmt.Printf("{\"fetches\": %d}\n", fetches.Load())
		os.Exit(0)
	}()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		token, expiryMs, err := signer.GenerateAuthToken(r.Context(), region)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		expiresIn := (expiryMs - time.Now().UnixMilli()) / 1000
		if expiresIn < 0 {
			expiresIn = 0
		}
		header := `{"typ": "JWT", "alg": "AWS_MSK_IAM"}`
		claims := fmt.Sprintf(`{"exp": %d, "iss": "AWS", "iat": %d}`, expiryMs/1000, time.Now().Unix())
		body, _ := json.Marshal(map[string]interface{}{
			"access_token": b64(header) + "." + b64(claims) + "." + b64(token),
			"expires_in":   expiresIn,
			"token_type":   "Bearer",
		})
		w.Write(body)
	})
	server := &http.Server{Addr: "127.0.0.1:" + port, ReadTimeout: 5 * time.Second, Handler: handler}
	log.Fatal(server.ListenAndServe())
}
