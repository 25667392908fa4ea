package schedule_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-hub/switchboard/core/schedule"
)

func Example() {
	office, err := schedule.New("office", schedule.Config{
		Timezone:       "Europe/Warsaw",
		Hours:          map[string]string{"mon_fri": "10:00-18:00", "sat": "10:00-14:00"},
		Holidays:       []string{"2026-12-24"},
		PublicHolidays: []string{"PL"},
	})
	if err != nil {
		panic(err)
	}
	// A message arrives on Saturday afternoon; clocks go forward on Sunday.
	at := time.Date(2026, 3, 28, 15, 0, 0, 0, office.Location())
	next, _ := office.NextOpen(at)
	fmt.Println("open:", office.Open(at))
	fmt.Println("we will answer by", next.Format("Mon 2006-01-02 15:04 -07:00"))

	// Easter Monday is a public holiday in Poland.
	at = time.Date(2026, 4, 6, 9, 0, 0, 0, office.Location())
	next, _ = office.NextOpen(at)
	fmt.Println("Easter Monday:", office.IsHoliday(at), "so", next.Format("Mon 2006-01-02 15:04"))

	closing, _ := office.NextClose(next)
	fmt.Println("then open until", closing.Format("15:04"))
	// Output:
	// open: false
	// we will answer by Mon 2026-03-30 10:00 +02:00
	// Easter Monday: true so Tue 2026-04-07 10:00
	// then open until 18:00
}

func ExampleNew_errors() {
	_, err := schedule.New("office", schedule.Config{
		Timezone: "Europe/Warsaw",
		Hours:    map[string]string{"mon_fri": "10:00-25:00", "fri": "10:00-16:00"},
	})
	var fe *schedule.FieldError
	if errors.As(err, &fe) {
		fmt.Println("first problem is in", fe.Field)
	}
	fmt.Println(err)
	// Output:
	// first problem is in hours.mon_fri
	// schedule "office": hours.mon_fri: "10:00-25:00": hour 25 is out of range; write times as HH:MM between 00:00 and 24:00
	// schedule "office": hours.fri: Friday is also set by hours.mon_fri; each day may be set by one key only: to give Friday its own hours, replace mon_fri with mon_thu
}
