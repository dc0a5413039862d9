// Prints martoc/kafka-auth-handler's GCP claims (its exact format string) for each JSON input line
// {"exp": <s>, "iat": <s>, "sub": "<principal>"}: the reference our kafka-auth-handler style is
// checked against (tests/peers/test_providers.py).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var c struct {
			Exp int64  `json:"exp"`
			Iat int64  `json:"iat"`
			Sub string `json:"sub"`
		}
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			panic(err)
		}
		claims := fmt.Sprintf(`{"exp": %d, "iss": "Google", "iat": %d, "sub": %q}`, c.Exp, c.Iat, c.Sub)
		out, _ := json.Marshal(claims)
		fmt.Println(string(out))
	}
}
